//! The `live` example's flow and page: ten translations as a parallel batch flow (at most
//! three at once), each written token by token, streamed to the browser as server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use futures::{Stream, StreamExt};
use pocketflow::prelude::*;
use pocketflow::stream::{Emitter, Event};

/// The languages, in item order, and the sentence each translation writes.
pub const TRANSLATIONS: [(&str, &str); 10] = [
    ("French", "Bonjour, le monde en direct"),
    ("Spanish", "Hola, mundo en directo"),
    ("German", "Hallo, Welt live"),
    ("Italian", "Ciao, mondo in diretta"),
    ("Portuguese", "Olá, mundo ao vivo"),
    ("Dutch", "Hallo, live wereld"),
    ("Swedish", "Hej, världen live"),
    ("Polish", "Witaj, świecie na żywo"),
    ("Finnish", "Hei, maailma suorana"),
    ("Czech", "Ahoj, světe živě"),
];

/// The run's store: each language's text once written.
#[derive(Debug, Default)]
pub struct Book {
    pub translated: Vec<(String, String)>,
}

/// One run per language, three at a time.
pub struct Languages;

#[batch_flow(parallel, limit = 3)]
impl Languages {
    fn prep(&self, _: &Book) -> Vec<usize> {
        (0..TRANSLATIONS.len()).collect()
    }
}

/// Writes one translation a word at a time, as a model would, `pause` apart.
pub struct Translate {
    pub pause: Duration,
}

#[node]
impl Translate {
    fn prep(&self, _: &Book, index: &usize) -> usize {
        *index
    }

    async fn exec(&self, index: &usize, tokens: &Emitter<String>) -> String {
        let (_, sentence) = TRANSLATIONS[*index];
        for word in sentence.split_inclusive(' ') {
            tokio::time::sleep(self.pause).await;
            tokens.emit(word.to_owned());
        }
        sentence.to_owned()
    }

    fn post(&self, book: &mut Book, index: usize, text: String) {
        book.translated
            .push((TRANSLATIONS[index].0.to_owned(), text));
    }
}

/// The run's events, one JSON object each (`Event`'s own shape), as the run makes them: the run
/// is a task of its own, so that a page that goes away stops reading, not the server.
pub fn events(pause: Duration) -> impl Stream<Item = Event<String>> + Send + 'static {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let translate = Translate { pause };
        let translations = Languages.over(flow! { translate });
        let mut book = Book::default();
        let mut events = translations.stream::<String>(&mut book);
        while let Some(event) = events.next().await {
            if send.send(event).is_err() {
                return; // the page went away: dropping the stream cancels the run
            }
        }
        let _ = events.finish().await;
    });
    futures::stream::unfold(receive, |mut receive| async move {
        receive.recv().await.map(|event| (event, receive))
    })
}

/// `GET /` (the page) and `GET /events` (a new run, as server-sent events).
pub fn router(pause: Duration) -> Router {
    Router::new()
        .route("/", get(|| async { Html(page()) }))
        .route("/events", get(move || stream_events(pause)))
}

async fn stream_events(pause: Duration) -> impl IntoResponse {
    let events = events(pause).map(|event| {
        let json = serde_json::to_string(&event).unwrap_or_default();
        Ok::<_, Infallible>(SseEvent::default().data(json))
    });
    // The last event is the batch flow's `finished`: the page closes the stream itself.
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// The page, with the languages in item order for its rows' labels.
pub fn page() -> String {
    let languages: Vec<&str> = TRANSLATIONS.iter().map(|(language, _)| *language).collect();
    let languages = serde_json::to_string(&languages).unwrap_or_else(|_| "[]".into());
    PAGE.replace("/*LANGUAGES*/[]", &languages)
}

/// The page: a Start button, a row per language filling with its tokens, a progress bar, and
/// the result once the batch flow finishes.
pub const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pocketflow: a run, live</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 46em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
td { border-bottom: 1px solid #ddd; padding: .3em .5em; }
td.language { width: 9em; color: #555; }
progress { width: 100%; }
#result { font-weight: bold; }
</style>
</head>
<body>
<h1>Ten translations, three at a time</h1>
<p><button id="start">Start</button> <span id="status">idle</span></p>
<progress id="progress" value="0" max="10"></progress>
<table id="rows"></table>
<p id="result"></p>
<script>
const LANGUAGES = /*LANGUAGES*/[];
const rows = document.getElementById("rows");
const progress = document.getElementById("progress");
const status = document.getElementById("status");
const result = document.getElementById("result");
function row(item, language) {
  let tr = document.getElementById("row-" + item);
  if (!tr) {
    tr = document.createElement("tr");
    tr.id = "row-" + item;
    tr.innerHTML = '<td class="language"></td><td class="text"></td>';
    // Rows stay in item order, whatever order the runs start in.
    const after = [...rows.children].find(other => Number(other.id.slice(4)) > item);
    rows.insertBefore(tr, after || null);
  }
  if (language) tr.querySelector(".language").textContent = language;
  return tr;
}
document.getElementById("start").onclick = () => {
  status.textContent = "running";
  const source = new EventSource("/events");
  source.onmessage = message => {
    const event = JSON.parse(message.data);
    if (event.kind === "started" && event.item !== null) {
      row(event.item, LANGUAGES[event.item] || "#" + (event.item + 1));
    } else if (event.kind === "emitted") {
      row(event.item).querySelector(".text").textContent += event.value;
    } else if (event.kind === "progress") {
      progress.max = event.total;
      progress.value = event.done;
    } else if (event.kind === "finished" && event.item === null) {
      source.close();
      status.textContent = "finished";
      result.textContent = "All " + progress.value + " translations done.";
    } else if (event.kind === "failed") {
      source.close();
      status.textContent = "failed: " + event.error;
    }
  };
};
</script>
</body>
</html>
"##;

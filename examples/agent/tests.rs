//! The agent's tests: the flow end to end, offline and with a fake model; the decider's retries.

use super::*;
use bm25::Chunk;

fn tiny_index() -> Index {
    let texts = [
        "The cat sat on the mat.",
        "Dogs chase cats, and the cat runs.",
        "A bird sang.",
    ];
    Index::new(
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| Chunk {
                source: format!("doc{i}"),
                text: (*text).to_owned(),
            })
            .collect(),
    )
}

fn docs_index() -> Index {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Index::new(bm25::load_docs(&root).0)
}

/// The flow end to end with the offline rules.
mod offline_flow {
    use super::*;

    #[tokio::test]
    async fn offline_agent_ends_with_an_answer() {
        let agent = agent_flow(Brain::Offline, docs_index());
        let mut shared = Shared::new(DEFAULT_QUESTION);
        agent.run(&mut shared).await.unwrap();
        let answer = shared.answer.expect("an answer");
        assert!(answer.contains("[1] "), "{answer}");
        assert_eq!(shared.searches.len(), OFFLINE_SEARCHES);
        assert!(shared.searches[0].hits[0].score >= MIN_SCORE);
        // decide, search, decide, search, decide, answer
        assert_eq!(shared.steps, 6);
    }

    #[tokio::test]
    async fn offline_agent_answers_even_when_nothing_matches() {
        let agent = agent_flow(Brain::Offline, tiny_index());
        let mut shared = Shared::new("Which elephants?");
        agent.run(&mut shared).await.unwrap();
        assert_eq!(shared.searches.len(), 1);
        assert!(shared.searches[0].hits.is_empty());
        assert!(shared.answer.unwrap().contains("no passage"));
    }

    #[test]
    fn the_flow_as_mermaid() {
        let chart = agent_flow(Brain::Offline, tiny_index()).to_mermaid();
        for edge in [
            "decide -- \"search\" --> search",
            "decide -- \"answer\" --> answer",
            "search --> decide",
        ] {
            assert!(chart.contains(edge), "{chart}");
        }
    }
}

/// The flow end to end with a model behind a fake OpenAI-compatible server.
mod online_flow {
    use super::*;
    use fake_openai::{FakeOpenAi, Reply};

    #[tokio::test]
    async fn online_agent_over_http() {
        let server = FakeOpenAi::start(vec![
            Reply::Content("Let me look that up.\nSEARCH: cat"),
            Reply::Content("ANSWER"),
            Reply::Content("Cats sit on mats [1]."),
        ])
        .await;
        let agent = agent_flow(Brain::Online(server.client()), tiny_index());
        let mut shared = Shared::new("Where do cats sit?");
        agent.run(&mut shared).await.unwrap();

        assert_eq!(shared.answer.as_deref(), Some("Cats sit on mats [1]."));
        assert_eq!(shared.searches.len(), 1);
        assert_eq!(shared.searches[0].query, "cat");
        assert_eq!(shared.searches[0].hits[0].text, "The cat sat on the mat.");
        // Decide, decide, answer; each with the model, the key and the messages.
        assert_eq!(server.requests(), 3);
        assert!(server.user_message(0).contains("Where do cats sit?"));
        assert!(server.user_message(1).contains("Search 1 for \"cat\""));
        assert!(
            server
                .user_message(2)
                .contains("[1] (doc0)\nThe cat sat on the mat.")
        );
    }

    /// A model that always wants another search is stopped by the search budget, which fits
    /// exactly in the flow's step limit.
    #[tokio::test]
    async fn the_search_budget_ends_a_stubborn_model() {
        let server = FakeOpenAi::start(vec![
            Reply::Content("SEARCH: cat"),
            Reply::Content("SEARCH: mat"),
            Reply::Content("SEARCH: bird"),
            Reply::Content("Enough."),
        ])
        .await;
        let agent = agent_flow(Brain::Online(server.client()), tiny_index());
        let mut shared = Shared::new("Tell me everything.");
        agent.run(&mut shared).await.unwrap();
        assert_eq!(shared.answer.as_deref(), Some("Enough."));
        assert_eq!(shared.searches.len(), MAX_SEARCHES);
        // The fourth decision is made without the model.
        assert_eq!(server.requests(), MAX_SEARCHES + 1);
        assert_eq!(shared.steps as u64, MAX_STEPS);
    }
}

/// The decider alone against the fake server: an unreadable reply or a failing model is retried,
/// then the rules decide.
mod decide_with_model {
    use std::time::Duration;

    use super::*;
    use fake_openai::{FakeOpenAi, Reply};

    #[tokio::test]
    async fn an_unreadable_decision_is_asked_again() {
        let server = FakeOpenAi::start(vec![
            Reply::Content("Hmm, hard to say."),
            Reply::Content("{\"action\": \"search\", \"query\": \"bird\"}"),
        ])
        .await;
        let decide = Decide {
            brain: Brain::Online(server.client()),
        }
        .with_wait(Duration::from_millis(1));
        let mut shared = Shared::new("Which bird?");
        assert_eq!(decide.run(&mut shared).await.unwrap(), Decision::Search);
        assert_eq!(shared.next_query.as_deref(), Some("bird"));
        assert_eq!(server.requests(), 2);
    }

    #[tokio::test]
    async fn a_failing_model_hands_over_to_the_rules() {
        let server = FakeOpenAi::start(vec![
            Reply::Status(503),
            Reply::Status(500),
            Reply::Status(429),
        ])
        .await;
        let decide = Decide {
            brain: Brain::Online(server.client()),
        }
        .with_wait(Duration::from_millis(1));
        let mut shared = Shared::new("Which bird sang?");
        assert_eq!(decide.run(&mut shared).await.unwrap(), Decision::Search);
        assert_eq!(server.requests(), 3);
        assert_eq!(shared.next_query.as_deref(), Some("bird sang"));
        let line = shared.trace.last().unwrap();
        assert!(line.contains("rule-based fallback"), "{line}");
        assert!(line.contains("429 Too Many Requests"), "{line}");
    }
}

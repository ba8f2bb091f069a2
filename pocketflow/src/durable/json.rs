//! The JSON that durable runs write and read back: written only when it reads back as it was,
//! read with the path of whatever no longer fits.
//!
//! serde_json writes a NaN or infinite float as `null`, which then never reads back as a float:
//! a store holding one would be committed and the run could never be resumed. So every value is
//! first walked by [`Finite`], a serializer that writes nothing and fails at the first
//! non-finite float with its path (`scores[2]`, `by_name.alice`).

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::ser;
use serde_json::Value;

use crate::error::{DurableErrorKind, Error};

/// Why a value cannot be written as JSON that reads back.
#[derive(Debug)]
pub(crate) struct Unwritable(String);

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<serde_json::Error> for Unwritable {
    fn from(error: serde_json::Error) -> Unwritable {
        Unwritable(error.to_string())
    }
}

/// `value` as JSON text, if it reads back as it is.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<String, Unwritable> {
    check(value)?;
    serde_json::to_string(value).map_err(|e| Unwritable(e.to_string()))
}

/// `value` as a JSON value, if it reads back as it is.
pub(crate) fn encode_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Unwritable> {
    check(value)?;
    serde_json::to_value(value).map_err(|e| Unwritable(e.to_string()))
}

/// The error of `who` (a step, a node, an update) whose `what` (the shared store, the batch's
/// items) cannot be committed.
pub(crate) fn unwritable(who: &str, what: &str, problem: impl fmt::Display) -> Error {
    Error::durable_with(
        DurableErrorKind::Unreadable,
        format!(
            "{who}: {what} cannot be saved as JSON that reads back: {problem}; nothing was \
             committed"
        )
        .into(),
    )
}

/// `text` read as a `T`; the error names the type and the JSON path that does not fit, and
/// `way_out` says what the user can do about it.
pub(crate) fn decode<T: DeserializeOwned>(
    text: &str,
    what: &str,
    way_out: &str,
) -> Result<T, Error> {
    // The path costs a second parse, paid only when the first one fails.
    serde_json::from_str(text).map_err(|_| {
        let mut reader = serde_json::Deserializer::from_str(text);
        let problem = match serde_path_to_error::deserialize::<_, T>(&mut reader) {
            Ok(_) => "it reads only as part of a longer text".to_owned(),
            Err(error) => match error.path().to_string().as_str() {
                "." => error.inner().to_string(),
                path => format!("at `{path}`: {}", error.inner()),
            },
        };
        Error::durable_with(
            DurableErrorKind::Unreadable,
            format!(
                "{what} does not read as `{}`: {problem}; {way_out}",
                std::any::type_name::<T>()
            )
            .into(),
        )
    })
}

/// `value` read as a `T`, as [`decode`] does for text.
pub(crate) fn decode_value<T: DeserializeOwned>(
    value: Value,
    what: &str,
    way_out: &str,
) -> Result<T, Error> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(value) => Ok(value),
        Err(error) => {
            let problem = match error.path().to_string().as_str() {
                "." => error.inner().to_string(),
                path => format!("at `{path}`: {}", error.inner()),
            };
            Err(Error::durable_with(
                DurableErrorKind::Unreadable,
                format!(
                    "{what} does not read as `{}`: {problem}; {way_out}",
                    std::any::type_name::<T>()
                )
                .into(),
            ))
        }
    }
}

fn check<T: Serialize + ?Sized>(value: &T) -> Result<(), Unwritable> {
    value.serialize(Finite).map_err(|found| {
        let mut path = String::new();
        for segment in found.path.iter().rev() {
            match segment {
                Segment::Field(name) if path.is_empty() => path.push_str(name),
                Segment::Field(name) => {
                    path.push('.');
                    path.push_str(name);
                }
                Segment::Index(index) => path.push_str(&format!("[{index}]")),
                Segment::Key(key) => path.push_str(&format!("[{key}]")),
            }
        }
        let place = if path.is_empty() {
            "the value".to_owned()
        } else {
            format!("`{path}`")
        };
        Unwritable(match found.problem {
            Problem::NotFinite(value) => format!(
                "{place} is {value}, which JSON cannot hold (serde_json would write null, which \
                 does not read back as a number); keep such values out, or hold them as an \
                 Option or a string"
            ),
            Problem::Other(message) => format!("{place}: {message}"),
        })
    })
}

/// What [`Finite`] found, and where: the path from the innermost segment out.
#[derive(Debug)]
struct Found {
    problem: Problem,
    path: Vec<Segment>,
}

#[derive(Debug)]
enum Problem {
    NotFinite(f64),
    Other(String),
}

#[derive(Debug)]
enum Segment {
    Field(&'static str),
    Index(usize),
    Key(String),
}

impl Found {
    fn within(mut self, segment: Segment) -> Found {
        self.path.push(segment);
        self
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::NotFinite(value) => write!(f, "{value}"),
            Problem::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<M: fmt::Display>(message: M) -> Found {
        Found {
            problem: Problem::Other(message.to_string()),
            path: Vec::new(),
        }
    }
}

/// Walks a value as a serializer, writing nothing: fails at a non-finite float.
struct Finite;

fn float(value: f64) -> Result<(), Found> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Found {
            problem: Problem::NotFinite(value),
            path: Vec::new(),
        })
    }
}

/// Walks the elements of a sequence, tuple or map, counting them for the path.
struct Elements {
    index: usize,
}

impl Elements {
    fn next<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let index = self.index;
        self.index += 1;
        value
            .serialize(Finite)
            .map_err(|found| found.within(Segment::Index(index)))
    }
}

/// Walks the fields of a struct or struct variant.
struct Fields;

impl ser::Serializer for Finite {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Elements;
    type SerializeMap = Elements;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Fields;

    fn serialize_bool(self, _: bool) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_f32(self, value: f32) -> Result<(), Found> {
        float(f64::from(value))
    }
    fn serialize_f64(self, value: f64) -> Result<(), Found> {
        float(value)
    }
    fn serialize_char(self, _: char) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Found> {
        value.serialize(Finite)
    }
    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value.serialize(Finite)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value
            .serialize(Finite)
            .map_err(|found| found.within(Segment::Field(variant)))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Elements, Found> {
        Ok(Elements { index: 0 })
    }
    fn serialize_tuple(self, _: usize) -> Result<Elements, Found> {
        Ok(Elements { index: 0 })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Elements, Found> {
        Ok(Elements { index: 0 })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Elements, Found> {
        Ok(Elements { index: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Elements, Found> {
        Ok(Elements { index: 0 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields, Found> {
        Ok(Fields)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Fields, Found> {
        Ok(Fields)
    }
}

/// The sequence-like compounds: each element is walked with its index.
macro_rules! walk_elements {
    ($($compound:ident :: $method:ident),*) => {$(
        impl ser::$compound for Elements {
            type Ok = ();
            type Error = Found;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
                self.next(value)
            }
            fn end(self) -> Result<(), Found> {
                Ok(())
            }
        }
    )*};
}

walk_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Elements {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
        // serde_json refuses a non-finite float key itself; keys hold nothing else to check.
        let _ = key;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.next(value)
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Found> {
        value.serialize(Finite).map_err(|found| {
            // Only on the way out of a failure: the key as JSON, for the path.
            let key = serde_json::to_string(key).unwrap_or_else(|_| "?".to_owned());
            found.within(Segment::Key(key))
        })
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

/// The struct-like compounds: each field is walked with its name.
macro_rules! walk_fields {
    ($($compound:ident),*) => {$(
        impl ser::$compound for Fields {
            type Ok = ();
            type Error = Found;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Found> {
                value
                    .serialize(Finite)
                    .map_err(|found| found.within(Segment::Field(name)))
            }
            fn end(self) -> Result<(), Found> {
                Ok(())
            }
        }
    )*};
}

walk_fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Scores {
        name: String,
        by_round: Vec<f64>,
        by_judge: BTreeMap<String, Option<f32>>,
    }

    #[test]
    fn a_finite_store_is_written_as_serde_json_writes_it() {
        let scores = Scores {
            name: "a".into(),
            by_round: vec![1.5, -0.0],
            by_judge: BTreeMap::from([("ann".to_owned(), Some(2.0))]),
        };
        assert_eq!(
            encode(&scores).unwrap(),
            serde_json::to_string(&scores).unwrap()
        );
    }

    #[test]
    fn a_non_finite_float_is_refused_with_its_path() {
        let nan = Scores {
            name: "a".into(),
            by_round: vec![1.0, f64::NAN],
            by_judge: BTreeMap::new(),
        };
        let message = encode(&nan).unwrap_err().to_string();
        assert!(message.starts_with("`by_round[1]` is NaN"), "{message}");
        let infinite = Scores {
            name: "a".into(),
            by_round: Vec::new(),
            by_judge: BTreeMap::from([("bob".to_owned(), Some(f32::INFINITY))]),
        };
        let message = encode_value(&infinite).unwrap_err().to_string();
        assert!(
            message.starts_with("`by_judge[\"bob\"]` is inf"),
            "{message}"
        );
        assert!(
            encode(&f64::NEG_INFINITY)
                .unwrap_err()
                .to_string()
                .starts_with("the value is -inf")
        );
    }

    #[test]
    fn an_unreadable_value_names_its_type_and_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            score: f64,
        }
        let error = decode::<Doc>(r#"{"score":null}"#, "the saved store", "repair it").unwrap_err();
        assert_eq!(error.durable_kind(), Some(DurableErrorKind::Unreadable));
        let message = error.to_string();
        assert!(message.contains("does not read as `"), "{message}");
        assert!(
            message.contains("Doc`: at `score`: invalid type: null, expected f64"),
            "{message}"
        );
        assert!(message.ends_with("; repair it"), "{message}");
    }
}

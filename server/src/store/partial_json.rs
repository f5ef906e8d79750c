//! Decoding only some keys of a record's `data`.
//!
//! A view page shown as its columns needs a handful of a record's fields; decoding the whole
//! object into `serde_json::Value`s (a map entry, a string or number allocation per field) was a
//! measurable share of a view call's CPU (docs/benchmarks.md, "The hot path"). Here the other
//! keys' values are skipped by the parser without being built.
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The object in `text` with only the `keys` named (in any order; a key not present is simply
/// absent). Anything but a JSON object is an error, as a record's data always is one.
pub fn decode_keys(text: &str, keys: &[String]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Keep(keys).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Keep<'k>(&'k [String]);

impl<'de> DeserializeSeed<'de> for Keep<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Keep<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.0.iter().any(|k| k.as_str() == key.as_ref()) {
                let v: Value = map.next_value()?;
                out.insert(key.into_owned(), v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }
}

/// An object key: borrowed from the text when it has no escapes, so a skipped key costs no
/// allocation.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_named_keys_are_kept_whole() {
        let text = r#"{"supplier":"Caf\u00e9 \"Nord\"","lines":[{"id":"l1","net":"2.50"}],
            "net":"12.10","status":"Approved","nested":{"a":[1,2,{"b":null}]},"n":-1.5e3}"#;
        let got = decode_keys(text, &keys(&["supplier", "nested", "n", "absent"])).expect("ok");
        assert_eq!(
            got,
            json!({"supplier": "Café \"Nord\"", "nested": {"a": [1, 2, {"b": null}]}, "n": -1.5e3})
        );
        let all: Value = serde_json::from_str(text).expect("json");
        for k in ["supplier", "nested", "n"] {
            assert_eq!(got[k], all[k], "{k}");
        }
    }

    #[test]
    fn an_escaped_key_is_matched_by_its_meaning() {
        let got = decode_keys(r#"{"st\u0061tus":"Draft","x":1}"#, &keys(&["status"])).expect("ok");
        assert_eq!(got, json!({"status": "Draft"}));
    }

    #[test]
    fn broken_or_non_object_data_is_an_error() {
        for bad in [
            r#"{"a":1"#,
            r#"{"a":1} trailing"#,
            "[1,2]",
            "\"text\"",
            "",
            r#"{"a":tru}"#,
        ] {
            assert!(decode_keys(bad, &keys(&["a"])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_keys_gives_an_empty_object() {
        assert_eq!(
            decode_keys(r#"{"a":{"deep":[1]}}"#, &[]).expect("ok"),
            json!({})
        );
    }
}

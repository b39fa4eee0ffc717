//! byok's item in a list (a template value with `entry = "<field>"`): Qwen Code's
//! `modelProviders.openai`, Droid's `customModels`. The item is found by the identity
//! the drift record keeps ([`Current::entries`], filled from the plan that wrote it), or,
//! on a first setup, by its identifying field; it is merged field by field (fields a user
//! added inside it stay), else appended. Other items are never touched and keep their
//! order. Labels name the item by its identity: `<file> <key>[<field>=<id>].<leaf>`, so a
//! user's earlier item with that identity is given back like any prior value.

use serde_json::Value;

use crate::config_edit::{ParseError, doc};
use crate::plan::ListEntry;
use crate::templates::Format;
use crate::tools::Current;

/// One list value of a template, where it is.
pub(super) struct List<'a> {
    /// The file's format.
    pub format: Format,
    /// The list's key path.
    pub key: &'a [String],
    /// The identifying field (`id`).
    pub field: &'a str,
    /// The list's drift label (`<file> <key>`), the key of [`Current::entries`].
    pub label: &'a str,
    /// The top-level fields byok's item has (a variant's table keys).
    pub fields: &'a [String],
}

impl List<'_> {
    /// The label of the item with identity `id`.
    fn item_label(&self, id: &str) -> String {
        format!("{}[{}={id}]", self.label, self.field)
    }

    fn index_of(&self, items: &[Value], id: &str) -> Option<usize> {
        items
            .iter()
            .position(|i| i.get(self.field).and_then(Value::as_str) == Some(id))
    }

    /// Writes byok's item `value` into `text`: over the recorded item (a profile change
    /// replaces it), else over the item with the same identity, else as a new last item.
    pub fn upsert(
        &self,
        text: &str,
        value: &Value,
        cur: &Current,
    ) -> Result<(String, ListEntry), ParseError> {
        let id = value
            .get(self.field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let items = doc::items(self.format, text, self.key)?;
        let recorded = cur.entries.get(self.label);
        let entry = ListEntry {
            id: id.clone(),
            created_list: recorded.map_or(items.is_none(), |r| r.created_list),
        };
        let mut text = text.to_string();
        if let Some(r) = recorded.filter(|r| r.id != id)
            && let Some(i) = items.as_deref().and_then(|x| self.index_of(x, &r.id))
        {
            if self.has_priors(cur, &r.id) {
                // The user's own item byok took over goes back before byok's new one.
                text = self.give_back(&text, i, &r.id, cur)?;
            } else {
                let taken = items.as_deref().and_then(|x| self.index_of(x, &id));
                if taken.is_none() {
                    text = doc::set_in_item(self.format, &text, self.key, i, &[], value)?;
                    return Ok((text, entry));
                }
                text = doc::remove_item(self.format, &text, self.key, i)?;
            }
        }
        let items = doc::items(self.format, &text, self.key)?;
        text = match items.as_deref().and_then(|x| self.index_of(x, &id)) {
            Some(i) => doc::set_in_item(self.format, &text, self.key, i, &[], value)?,
            None => doc::push_item(self.format, &text, self.key, value)?,
        };
        Ok((text, entry))
    }

    fn has_priors(&self, cur: &Current, id: &str) -> bool {
        let label = self.item_label(id);
        cur.prior.keys().any(|l| {
            l.strip_prefix(&label)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The item at `i` back as the user had it: their recorded leaves put back, byok's
    /// other fields taken out, fields added since kept.
    fn give_back(
        &self,
        text: &str,
        i: usize,
        id: &str,
        cur: &Current,
    ) -> Result<String, ParseError> {
        let label = self.item_label(id);
        let items = doc::items(self.format, text, self.key)?.unwrap_or_default();
        let Some(item) = items.get(i) else {
            return Ok(text.to_string());
        };
        let mut out = text.to_string();
        for (below, _) in doc::value_leaves(item) {
            let leaf = format!("{label}.{}", below.join("."));
            match cur.prior_json(&leaf) {
                Some(p) => out = doc::set_in_item(self.format, &out, self.key, i, &below, &p)?,
                None if self.fields.contains(&below[0]) => {
                    out = doc::remove_in_item(self.format, &out, self.key, i, &below)?;
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// Takes byok's item out (or gives the user's back), and the list when byok created
    /// it and nothing is left in it.
    pub fn remove(&self, text: &str, cur: &Current) -> Result<String, ParseError> {
        // Parsed first, so a file byok can't read is refused even with no item of byok's.
        let items = doc::items(self.format, text, self.key)?;
        let Some(r) = cur.entries.get(self.label) else {
            return Ok(text.to_string());
        };
        let Some(items) = items else {
            return Ok(text.to_string());
        };
        let Some(i) = self.index_of(&items, &r.id) else {
            return Ok(text.to_string());
        };
        if self.has_priors(cur, &r.id) {
            return self.give_back(text, i, &r.id, cur);
        }
        let out = doc::remove_item(self.format, text, self.key, i)?;
        let empty = doc::items(self.format, &out, self.key)?.is_some_and(|x| x.is_empty());
        if empty && r.created_list {
            return doc::remove(self.format, &out, self.key, true);
        }
        Ok(out)
    }

    /// byok's item's leaves with their values, as [`doc::leaves`] gives them, and the
    /// item's label (`None` when it is not there).
    fn leaves(&self, text: &str, cur: &Current) -> Vec<(String, Option<Value>)> {
        let Some(r) = cur.entries.get(self.label) else {
            return vec![(self.label.to_string(), None)];
        };
        let label = self.item_label(&r.id);
        let item = doc::items(self.format, text, self.key)
            .ok()
            .flatten()
            .and_then(|x| self.index_of(&x, &r.id).map(|i| x[i].clone()));
        let Some(item) = item else {
            return vec![(label, None)];
        };
        let mut out = Vec::new();
        leaf_values(&item, &mut Vec::new(), &mut |below, v| {
            out.push((format!("{label}.{}", below.join(".")), Some(v.clone())));
        });
        out
    }

    /// The drift labels and values of byok's item (see [`crate::tools::Tool::owned`]).
    pub fn owned(&self, text: &str, cur: &Current) -> Vec<(String, Option<String>)> {
        self.leaves(text, cur)
            .into_iter()
            .map(|(l, v)| {
                let v = v.map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
                (l, v)
            })
            .collect()
    }

    /// The same labels with JSON text, as `remove` puts a user's leaf back.
    pub fn restorable(&self, text: &str, cur: &Current) -> Vec<(String, Option<String>)> {
        self.leaves(text, cur)
            .into_iter()
            .map(|(l, v)| (l, v.map(|v| v.to_string())))
            .collect()
    }
}

/// Calls `f` for each leaf below `v` (non-empty objects are walked), with its path.
fn leaf_values(v: &Value, at: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Value)) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                at.push(k.clone());
                leaf_values(x, at, f);
                at.pop();
            }
        }
        other => f(at, other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const USER: &str = "{\n  // mine\n  \"providers\": {\n    \"openai\": [\n      { \"id\": \"theirs\", \"baseUrl\": \"https://other/v1\" }\n    ]\n  }\n}\n";

    fn key() -> Vec<String> {
        vec!["providers".into(), "openai".into()]
    }

    fn fields() -> Vec<String> {
        vec!["id".into(), "baseUrl".into(), "envKey".into()]
    }

    fn with<T>(f: impl FnOnce(&List<'_>) -> T) -> T {
        let (k, fl) = (key(), fields());
        f(&List {
            format: Format::Jsonc,
            key: &k,
            field: "id",
            label: "s.json providers.openai",
            fields: &fl,
        })
    }

    fn item(id: &str) -> Value {
        json!({"id": id, "baseUrl": "https://gw/v1", "envKey": "K"})
    }

    #[test]
    fn appends_then_replaces_on_a_profile_change_then_removes() {
        with(|l| {
            let mut cur = Current::default();
            let (out, e) = l.upsert(USER, &item("m1"), &cur).unwrap();
            assert_eq!(
                out,
                "{\n  // mine\n  \"providers\": {\n    \"openai\": [\n      { \"id\": \"theirs\", \"baseUrl\": \"https://other/v1\" },\n      {\n        \"id\": \"m1\",\n        \"baseUrl\": \"https://gw/v1\",\n        \"envKey\": \"K\"\n      }\n    ]\n  }\n}\n"
            );
            assert!(!e.created_list);
            cur.entries.insert(l.label.into(), e);
            // Idempotent, and a field the user added inside byok's item stays.
            assert_eq!(l.upsert(&out, &item("m1"), &cur).unwrap().0, out);
            assert_eq!(
                l.owned(&out, &cur)[1],
                (
                    "s.json providers.openai[id=m1].baseUrl".to_string(),
                    Some("https://gw/v1".to_string())
                )
            );
            // A profile change: the same item, another id; not a second item.
            let (changed, e2) = l.upsert(&out, &item("m2"), &cur).unwrap();
            assert_eq!(changed, out.replace("\"m1\"", "\"m2\""));
            cur.entries.insert(l.label.into(), e2);
            assert_eq!(l.remove(&changed, &cur).unwrap(), USER);
        });
    }

    #[test]
    fn a_list_byok_created_goes_and_a_users_item_comes_back() {
        with(|l| {
            let mut cur = Current::default();
            let (out, e) = l.upsert("{}\n", &item("m1"), &cur).unwrap();
            assert!(e.created_list);
            cur.entries.insert(l.label.into(), e);
            assert_eq!(l.remove(&out, &cur).unwrap(), "{}\n");
            // An empty list the user had stays.
            let own = "{\"providers\": {\"openai\": []}}\n";
            let mut cur = Current::default();
            let (out, e) = l.upsert(own, &item("m1"), &cur).unwrap();
            cur.entries.insert(l.label.into(), e);
            assert_eq!(l.remove(&out, &cur).unwrap(), own);
            // The user's own item with byok's identity: merged, then given back.
            let theirs = USER.replace("theirs", "m1");
            let mut cur = Current::default();
            cur.entries.insert(
                l.label.into(),
                ListEntry {
                    id: "m1".into(),
                    created_list: false,
                },
            );
            for (label, v) in l.restorable(&theirs, &cur) {
                cur.prior.insert(label, v.unwrap());
            }
            let (out, _) = l.upsert(&theirs, &item("m1"), &cur).unwrap();
            assert!(out.contains("\"baseUrl\": \"https://gw/v1\""), "{out}");
            assert_eq!(l.remove(&out, &cur).unwrap(), theirs);
        });
    }
}

//! byok's items in a list (template values with `entry = "<field>"`): Qwen Code's
//! `modelProviders.openai`, Droid's `customModels`, Continue's `models`. An item is found
//! by the identity the drift record keeps ([`Current::entries`], filled from the plan
//! that wrote it), by the identity the template fixes (`"byok (OpenAI)"`), or, on a first
//! setup, by its identifying field; it is merged field by field (fields a user added
//! inside it stay), else added where the template says: right after byok's item before
//! it in the template (so byok's items stay together), else first or last. Other items
//! are never touched and keep their order. Labels name the item by its identity:
//! `<file> <key>[<field>=<id>].<leaf>`, or `<file> <key>/<id>` for an item tracked whole;
//! so a user's earlier item with that identity is given back like any prior value.
//!
//! One list may hold several items of byok's (each with a fixed identity, checked when
//! the template loads); each has its own record: the first under the list's label, the
//! n-th under `<label>#<n>`.
//!
//! In YAML (a top-level block list, e.g. Continue's `models:`), an item is rewritten
//! whole through [`yaml::OwnedList`]: its first line carries byok's marker, a list key
//! byok adds is marked too (so taking the last item out takes the key out) unless the
//! file is one byok created from the template's `new` text, an empty document gets the
//! mapping of that `new` text first (marked, so it goes again with byok's last item),
//! every other byte stays, and each result is parsed again and checked before it is used.

use serde_json::Value;

use crate::config_edit::yaml::{self, At, OwnedList};
use crate::config_edit::{ParseError, doc};
use crate::plan::ListEntry;
use crate::templates::{FileSpec, Format, Position, ValueSpec};
use crate::tools::Current;

/// One list item of a template, where it is.
pub(super) struct List<'a> {
    /// The file's format.
    pub format: Format,
    /// The list's key path.
    pub key: &'a [String],
    /// The identifying field (`id`).
    pub field: &'a str,
    /// The list's drift label (`<file> <key>`).
    pub label: String,
    /// The key of this item's record in [`Current::entries`].
    pub slot: String,
    /// The fields byok's item has, as dotted paths to the template's leaves.
    pub fields: Vec<String>,
    /// The item's identity when the template fixes it.
    pub fixed: Option<String>,
    /// Drift tracks the item as one value.
    pub whole: bool,
    /// Where a new item goes when `after` is not in the list.
    pub position: Position,
    /// byok's item right before this one in the template, when it is in the list: a new
    /// item goes after it.
    pub after: Option<String>,
    /// The file's `new` text (YAML: a file byok created starts with its first line, and
    /// an empty document gets its mapping).
    pub new: Option<&'a str>,
}

/// The fields of a list item's variants, as dotted paths down to each leaf of the
/// template's tables (`generationConfig.customHeaders`), so a field the user keeps beside
/// byok's in the same object stays theirs.
fn item_fields(v: &ValueSpec) -> Vec<String> {
    fn walk(t: &toml::Table, at: &str, out: &mut Vec<String>) {
        for (k, x) in t {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match x.as_table() {
                Some(inner) if !inner.is_empty() => walk(inner, &path, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    for t in [&v.value, &v.literal, &v.env, &v.helper]
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
    {
        walk(t, "", &mut out);
    }
    out.sort();
    out.dedup();
    out
}

impl<'a> List<'a> {
    /// The list item value `v` of file `f` at key path `key`, in the list labelled
    /// `label`.
    pub fn new(f: &'a FileSpec, v: &'a ValueSpec, key: &'a [String], label: String) -> Self {
        let slot = record_key(f, v, &label);
        let fields = item_fields(v);
        Self {
            format: f.format,
            key,
            field: v.entry.as_deref().unwrap_or_default(),
            label,
            slot,
            fields,
            fixed: v.fixed_identity(),
            whole: v.whole,
            position: v.position,
            after: None,
            new: f.new.as_deref(),
        }
    }

    /// The label of the item with identity `id`.
    fn item_label(&self, id: &str) -> String {
        if self.whole {
            format!("{}/{id}", self.label)
        } else {
            format!("{}[{}={id}]", self.label, self.field)
        }
    }

    /// byok's item as the drift record has it, else as the template fixes it.
    fn record(&self, cur: &Current) -> Option<ListEntry> {
        cur.entries.get(&self.slot).cloned().or_else(|| {
            self.fixed.clone().map(|id| ListEntry {
                id,
                created_list: false,
            })
        })
    }

    /// Whether byok created the list: any of byok's items in it says so.
    fn created_list(&self, cur: &Current) -> bool {
        let prefix = format!("{}#", self.label);
        cur.entries
            .iter()
            .any(|(k, e)| (*k == self.label || k.starts_with(&prefix)) && e.created_list)
    }

    fn index_of(&self, items: &[Value], id: &str) -> Option<usize> {
        items
            .iter()
            .position(|i| i.get(self.field).and_then(Value::as_str) == Some(id))
    }

    /// Writes byok's item `value` into `text`: over the recorded item (a profile change
    /// replaces it), else over the item with the same identity, else as a new item.
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
        let items = self.items(text)?;
        let recorded = cur.entries.get(&self.slot);
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
                    text = self.set_in_item(&text, i, &[], value)?;
                    text = self.drop_stale(&text, i, &r.id, value, cur)?;
                    return Ok((text, entry));
                }
                text = self.remove_item(&text, i)?;
            }
        }
        let items = self.items(&text)?;
        text = match items.as_deref().and_then(|x| self.index_of(x, &id)) {
            Some(i) => {
                let merged = self.set_in_item(&text, i, &[], value)?;
                self.drop_stale(&merged, i, &id, value, cur)?
            }
            None => self.insert_item(&text, items.as_deref(), value)?,
        };
        Ok((text, entry))
    }

    /// Takes out of the item at `i` (recorded as identity `recorded`) the leaves byok
    /// wrote last time that `value` no longer has (a header the profile dropped); the
    /// user's leaves and ones changed since stay.
    fn drop_stale(
        &self,
        text: &str,
        i: usize,
        recorded: &str,
        value: &Value,
        cur: &Current,
    ) -> Result<String, ParseError> {
        let label = self.item_label(recorded);
        let wanted: Vec<Vec<String>> = doc::value_leaves(value)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let Some(item) = self.items(text)?.and_then(|x| x.get(i).cloned()) else {
            return Ok(text.to_string());
        };
        let mut out = text.to_string();
        for (below, now) in doc::value_leaves(&item) {
            let leaf = format!("{label}.{}", below.join("."));
            if !below.is_empty() && !wanted.contains(&below) && cur.byoks(&leaf, &now) {
                out = self.remove_in_item(&out, i, &below)?;
            }
        }
        Ok(out)
    }

    /// The list's items (a YAML list is a top-level key's, see [`yaml::list_items`]).
    fn items(&self, text: &str) -> Result<Option<Vec<Value>>, ParseError> {
        match self.format {
            Format::Yaml => yaml::list_items(text, self.top()?),
            _ => doc::items(self.format, text, self.key),
        }
    }

    /// The key of a YAML list: byok edits items of top-level lists only (template
    /// loading refuses other keys first).
    fn top(&self) -> Result<&str, ParseError> {
        match self.key {
            [k] => Ok(k),
            _ => Err(ParseError {
                line: 1,
                column: 1,
                message: "byok edits YAML list items only in a top-level list".to_string(),
            }),
        }
    }

    /// The identity and value of the YAML item at `i`.
    fn yaml_item(&self, text: &str, i: usize) -> Result<(String, Value), ParseError> {
        let item = self
            .items(text)?
            .and_then(|x| x.into_iter().nth(i))
            .unwrap_or(Value::Null);
        Ok((self.id_of(&item), item))
    }

    fn id_of(&self, item: &Value) -> String {
        item.get(self.field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// Rewrites the YAML item `old_id` as `item` (its identity may change; `None` takes
    /// it out), or adds it where [`List::after`] and [`List::position`] say.
    fn put_yaml(
        &self,
        text: &str,
        old_id: &str,
        item: Option<&Value>,
    ) -> Result<String, ParseError> {
        let new_id = item.map(|v| self.id_of(v)).unwrap_or_default();
        let ids: Vec<&str> = [old_id, new_id.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let at = match (&self.after, self.position) {
            (Some(id), _) => At::After(id),
            (None, Position::First) => At::First,
            (None, Position::Last) => At::Last,
        };
        let first = self.new.and_then(|n| n.lines().next());
        let created = first.filter(|l| l.starts_with('#'));
        let list = OwnedList {
            key: self.top()?,
            field: self.field,
            ids: &ids,
            at,
            created,
        };
        // A file byok created has its header from `new` already.
        let header = match self.new {
            Some(new) if !created.is_some_and(|c| text.starts_with(c)) => header_of(new),
            _ => Vec::new(),
        };
        let header: Vec<(&str, Value)> = header
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        list.set(text, item.map_or(&[], std::slice::from_ref), &header)
    }

    /// Sets `below` in the item at `i` (see [`doc::set_in_item`]); a YAML item is
    /// rewritten whole, its other fields kept.
    fn set_in_item(
        &self,
        text: &str,
        i: usize,
        below: &[String],
        value: &Value,
    ) -> Result<String, ParseError> {
        if self.format != Format::Yaml {
            return doc::set_in_item(self.format, text, self.key, i, below, value);
        }
        let (id, mut item) = self.yaml_item(text, i)?;
        merge_at(&mut item, below, value);
        self.put_yaml(text, &id, Some(&item))
    }

    /// Removes `below` inside the item at `i` (see [`doc::remove_in_item`]).
    fn remove_in_item(&self, text: &str, i: usize, below: &[String]) -> Result<String, ParseError> {
        if self.format != Format::Yaml {
            return doc::remove_in_item(self.format, text, self.key, i, below);
        }
        let (id, mut item) = self.yaml_item(text, i)?;
        remove_at(&mut item, below);
        self.put_yaml(text, &id, Some(&item))
    }

    /// Adds `value` to the list (whose items are `items`): after byok's item before it,
    /// else first or last (see [`doc::insert_item`]).
    fn insert_item(
        &self,
        text: &str,
        items: Option<&[Value]>,
        value: &Value,
    ) -> Result<String, ParseError> {
        if self.format == Format::Yaml {
            return self.put_yaml(text, "", Some(value));
        }
        let after = self
            .after
            .as_deref()
            .and_then(|id| self.index_of(items.unwrap_or_default(), id));
        let at = match (after, self.position) {
            (Some(i), _) => Some(i + 1),
            (None, Position::First) => Some(0),
            (None, Position::Last) => None,
        };
        doc::insert_item(self.format, text, self.key, at, value)
    }

    /// Takes the item at `i` out (see [`doc::remove_item`]).
    fn remove_item(&self, text: &str, i: usize) -> Result<String, ParseError> {
        if self.format != Format::Yaml {
            return doc::remove_item(self.format, text, self.key, i);
        }
        let (id, _) = self.yaml_item(text, i)?;
        self.put_yaml(text, &id, None)
    }

    /// Whether a leaf of the item (its path below the item) is one of byok's fields.
    fn owns(&self, below: &[String]) -> bool {
        self.fields.iter().any(|f| {
            let segs: Vec<&str> = f.split('.').collect();
            below.len() >= segs.len() && below.iter().zip(&segs).all(|(a, b)| a == b)
        })
    }

    fn has_priors(&self, cur: &Current, id: &str) -> bool {
        let label = self.item_label(id);
        cur.prior.keys().any(|l| {
            l.strip_prefix(&label)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The user's leaf `below` of the item `id`, as the drift record keeps it (an item
    /// tracked whole keeps one prior: the item).
    fn prior_leaf(&self, cur: &Current, id: &str, below: &[String]) -> Option<Value> {
        let label = self.item_label(id);
        if !self.whole {
            return cur.prior_json(&format!("{label}.{}", below.join(".")));
        }
        let mut at = cur.prior_json(&label)?;
        for k in below {
            at = at.get_mut(k)?.take();
        }
        Some(at)
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
        let items = self.items(text)?.unwrap_or_default();
        let Some(item) = items.get(i) else {
            return Ok(text.to_string());
        };
        let mut out = text.to_string();
        for (below, _) in doc::value_leaves(item) {
            match self.prior_leaf(cur, id, &below) {
                Some(p) => out = self.set_in_item(&out, i, &below, &p)?,
                None if self.owns(&below) => {
                    out = self.remove_in_item(&out, i, &below)?;
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
        let items = self.items(text)?;
        let Some(r) = self.record(cur) else {
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
        let out = self.remove_item(text, i)?;
        let empty = self.items(&out)?.is_some_and(|x| x.is_empty());
        if empty && self.created_list(cur) {
            return doc::remove(self.format, &out, self.key, true);
        }
        Ok(out)
    }

    /// byok's item's identity and value as the file has it (`None` when absent).
    fn current(&self, text: &str, cur: &Current) -> Option<(String, Option<Value>)> {
        let r = self.record(cur)?;
        let item = self
            .items(text)
            .ok()
            .flatten()
            .and_then(|x| self.index_of(&x, &r.id).map(|i| x[i].clone()));
        Some((r.id, item))
    }

    /// byok's item as the file holds it now, with its label (`None`: not set up, or gone).
    pub fn item(&self, text: &str, cur: &Current) -> Option<(String, Value)> {
        let (id, item) = self.current(text, cur)?;
        Some((self.item_label(&id), item?))
    }

    /// byok's item's leaves with their values, as [`doc::leaves`] gives them, and the
    /// item's label (`None` when it is not there); an item tracked whole is one value.
    fn leaves(&self, text: &str, cur: &Current) -> Vec<(String, Option<Value>)> {
        let Some((id, item)) = self.current(text, cur) else {
            return vec![(self.label.clone(), None)];
        };
        let label = self.item_label(&id);
        let Some(item) = item else {
            return vec![(label, None)];
        };
        if self.whole {
            return vec![(label, Some(item))];
        }
        let mut out = Vec::new();
        leaf_values(&item, &mut Vec::new(), &mut |below, v| {
            out.push((format!("{label}.{}", below.join(".")), Some(v.clone())));
        });
        out
    }

    /// The drift labels and values of byok's item (see [`crate::tools::Tool::owned`]); an
    /// item tracked whole reads as the file's format writes it out.
    pub fn owned(&self, text: &str, cur: &Current) -> Vec<(String, Option<String>)> {
        self.leaves(text, cur)
            .into_iter()
            .map(|(l, v)| {
                let v = v.map(|v| match v {
                    Value::String(s) => s,
                    other if self.whole && self.format == Format::Yaml => {
                        serde_yaml_ng::to_value(&other)
                            .and_then(|y| serde_yaml_ng::to_string(&y))
                            .unwrap_or_else(|_| other.to_string())
                    }
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

/// The key of the record of byok's list item `v` of file `f` in [`Current::entries`]:
/// the list's label (`label`) for byok's first item in that list, `<label>#<n>` for the
/// n-th.
pub fn record_key(f: &FileSpec, v: &ValueSpec, label: &str) -> String {
    let earlier = f
        .values
        .iter()
        .take_while(|o| !std::ptr::eq(*o, v))
        .filter(|o| o.key == v.key && o.entry.is_some())
        .count();
    match earlier {
        0 => label.to_string(),
        n => format!("{label}#{}", n + 1),
    }
}

/// The top-level mapping of a YAML `new` text, as key/value pairs (what an empty
/// document gets before byok's first item).
fn header_of(new: &str) -> Vec<(String, Value)> {
    match yaml::parse(new) {
        Ok(Some(yaml::Value::Mapping(m))) => m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), serde_json::to_value(v).ok()?)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Sets `below` in `v` to `value`, creating objects on the way; a non-empty object (or
/// any object at the item itself) is merged key by key, as [`doc::set_in_item`] does.
fn merge_at(v: &mut Value, below: &[String], value: &Value) {
    if let Value::Object(m) = value
        && (!m.is_empty() || below.is_empty())
    {
        for (k, x) in m {
            let mut child = below.to_vec();
            child.push(k.clone());
            merge_at(v, &child, x);
        }
        return;
    }
    let mut at = v;
    for k in below {
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
        let Value::Object(m) = at else {
            return;
        };
        at = m.entry(k.clone()).or_insert(Value::Null);
    }
    *at = value.clone();
}

/// Removes `below` from `v`, and objects that leaves empty inside it.
fn remove_at(v: &mut Value, below: &[String]) {
    let Some((first, rest)) = below.split_first() else {
        return;
    };
    let Some(m) = v.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        m.remove(first);
        return;
    }
    if let Some(child) = m.get_mut(first) {
        remove_at(child, rest);
        if child.as_object().is_some_and(serde_json::Map::is_empty) {
            m.remove(first);
        }
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

    /// A list item with the template's defaults: last in the list, tracked by leaf.
    fn list<'a>(
        format: Format,
        key: &'a [String],
        field: &'a str,
        label: &str,
        fields: Vec<String>,
    ) -> List<'a> {
        List {
            format,
            key,
            field,
            label: label.to_string(),
            slot: label.to_string(),
            fields,
            fixed: None,
            whole: false,
            position: Position::Last,
            after: None,
            new: None,
        }
    }

    fn with<T>(f: impl FnOnce(&List<'_>) -> T) -> T {
        let k = key();
        f(&list(
            Format::Jsonc,
            &k,
            "id",
            "s.json providers.openai",
            fields(),
        ))
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
            cur.entries.insert(l.label.clone(), e);
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
            cur.entries.insert(l.label.clone(), e2);
            assert_eq!(l.remove(&changed, &cur).unwrap(), USER);
        });
    }

    #[test]
    fn a_list_byok_created_goes_and_a_users_item_comes_back() {
        with(|l| {
            let mut cur = Current::default();
            let (out, e) = l.upsert("{}\n", &item("m1"), &cur).unwrap();
            assert!(e.created_list);
            cur.entries.insert(l.label.clone(), e);
            assert_eq!(l.remove(&out, &cur).unwrap(), "{}\n");
            // An empty list the user had stays.
            let own = "{\"providers\": {\"openai\": []}}\n";
            let mut cur = Current::default();
            let (out, e) = l.upsert(own, &item("m1"), &cur).unwrap();
            cur.entries.insert(l.label.clone(), e);
            assert_eq!(l.remove(&out, &cur).unwrap(), own);
            // The user's own item with byok's identity: merged, then given back.
            let theirs = USER.replace("theirs", "m1");
            let mut cur = Current::default();
            cur.entries.insert(
                l.label.clone(),
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

    const CONTINUE: &str = "# my Continue config\r\nname: mine\r\nversion: 1.0.0\r\nmodels:\r\n  # local first\r\n  - name: Llama\r\n    provider: ollama\r\n    model: llama3\r\nrules:\r\n  - Be brief\r\n";

    fn yaml_item(model: &str) -> Value {
        json!({"name": "byok", "provider": "openai", "model": model, "roles": ["chat", "edit"]})
    }

    #[test]
    fn yaml_items_are_appended_marked_changed_and_removed_byte_exact() {
        let k = vec!["models".to_string()];
        let fields = ["name", "provider", "model", "roles"]
            .map(String::from)
            .to_vec();
        let l = list(Format::Yaml, &k, "name", "config.yaml models", fields);
        let mut cur = Current::default();
        let (out, e) = l.upsert(CONTINUE, &yaml_item("m1"), &cur).unwrap();
        assert_eq!(
            out,
            CONTINUE.replace(
                "    model: llama3\r\n",
                "    model: llama3\r\n  - name: byok # managed by byok\r\n    provider: openai\r\n    model: m1\r\n    roles: [chat, edit]\r\n"
            )
        );
        assert!(!e.created_list);
        cur.entries.insert(l.label.clone(), e);
        assert_eq!(l.upsert(&out, &yaml_item("m1"), &cur).unwrap().0, out);
        assert_eq!(
            l.owned(&out, &cur)[2],
            (
                "config.yaml models[name=byok].model".to_string(),
                Some("m1".to_string())
            )
        );
        // A hand-added field inside byok's item stays through a model change.
        let edited = out.replace(
            "    roles: [chat, edit]\r\n",
            "    roles: [chat, edit]\r\n    temperature: 0.2\r\n",
        );
        let (changed, _) = l.upsert(&edited, &yaml_item("m2"), &cur).unwrap();
        assert!(changed.contains("    model: m2\r\n"), "{changed}");
        assert!(changed.contains("    temperature: 0.2\r\n"), "{changed}");
        assert_eq!(l.remove(&out, &cur).unwrap(), CONTINUE);

        // No list yet: byok adds the key (marked) and takes it out again.
        let bare = "name: mine\nversion: 1.0.0\n";
        let mut cur = Current::default();
        let (out, e) = l.upsert(bare, &yaml_item("m1"), &cur).unwrap();
        assert!(e.created_list);
        assert!(out.starts_with("name: mine\nversion: 1.0.0\nmodels: # managed by byok\n  - name: byok # managed by byok\n"), "{out}");
        cur.entries.insert(l.label.clone(), e);
        assert_eq!(l.remove(&out, &cur).unwrap(), bare);

        // A user's `models: []` stays a list.
        let own = "name: mine\nmodels: []\n";
        let mut cur = Current::default();
        let (out, e) = l.upsert(own, &yaml_item("m1"), &cur).unwrap();
        cur.entries.insert(l.label.clone(), e);
        assert_eq!(l.remove(&out, &cur).unwrap(), own);

        // Something else at the key is an error naming its line.
        let err = l.upsert(
            "name: a\nmodels: 3\n",
            &yaml_item("m1"),
            &Current::default(),
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "line 2, column 9: `models` is not a list; it must be a list of `- ` items"
        );
    }
}

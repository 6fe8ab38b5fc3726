//! LGD masters in the store: written by the hub from ABDM, read by the forms (see
//! [`crate::model::lgd`]).

use super::Store;
use super::error::Result;
use crate::oplog::{EntityKind, Value};

fn txt(s: &str) -> Value {
    Value::Text(s.to_owned())
}

impl Store {
    /// Stores the LGD masters fetched from ABDM: only regions that are new or renamed produce
    /// ops, so a daily refresh of an unchanged list writes nothing. Returns how many changed.
    pub fn put_regions(&self, regions: &[crate::model::Region]) -> Result<usize> {
        let current: std::collections::HashMap<Vec<u8>, Option<String>> = self.read(|c| {
            let mut st = c.prepare("SELECT id, name FROM regions WHERE deleted = 0")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })?;
        let changed: Vec<_> = regions
            .iter()
            .filter(|r| current.get(r.id().as_bytes().as_slice()) != Some(&Some(r.name.clone())))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        self.write("regions.put", |c| {
            for r in &changed {
                c.set_all(
                    EntityKind::Region,
                    r.id(),
                    [
                        ("level", txt(r.level.code())),
                        ("code", Value::Int(r.code)),
                        ("parent_code", Value::Int(r.parent_code)),
                        ("name", txt(&r.name)),
                    ],
                )?;
            }
            Ok(changed.len())
        })
    }

    /// Regions of `level` under `parent` (0 for states), by name: what this store holds, or the
    /// bundled snapshot while it holds none of that level.
    pub fn regions(
        &self,
        level: crate::model::RegionLevel,
        parent: i64,
    ) -> Result<Vec<crate::model::Region>> {
        let held: Vec<crate::model::Region> = self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT code, name FROM regions WHERE deleted = 0 AND level = ?1 AND parent_code = ?2
                  ORDER BY name",
            )?;
            let rows = st.query_map(rusqlite::params![level.code(), parent], |r| {
                Ok(crate::model::Region {
                    level,
                    code: r.get(0)?,
                    parent_code: parent,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })?;
        let any_held: bool = self.read(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM regions WHERE deleted = 0 AND level = ?1)",
                [level.code()],
                |r| r.get(0),
            )?)
        })?;
        if any_held {
            return Ok(held);
        }
        let mut snap: Vec<_> = crate::model::lgd::snapshot()
            .into_iter()
            .filter(|r| r.level == level && r.parent_code == parent)
            .collect();
        snap.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(snap)
    }
}

//! What must hold after a scenario: every replica converged to the same readable state, nothing
//! acknowledged lost, the oracle's record of what the tablets did reflected exactly, and a tablet
//! with one village holding exactly that village.

use super::*;

impl World {
    /// Every replica, in order: the hubs, then the tablets.
    pub(super) fn replicas(&self) -> Vec<(String, &Store)> {
        let hubs = self
            .hubs
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("hub{i}"), s));
        let devs = self
            .devices
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("dev{i}"), s));
        hubs.chain(devs).collect()
    }

    /// Properties 1-3 after settling, among `replicas` (all of them when every scope covers
    /// everything).
    pub(super) fn converged(&self, replicas: &[(String, &Store)]) -> Fail {
        let (ref_name, reference) = &replicas[0];
        let want = snapshot(reference, &self.oracle);
        let want_cov = reference.coverage().unwrap();
        for (name, store) in &replicas[1..] {
            same_snapshot(ref_name, &want, name, &snapshot(store, &self.oracle))?;
            let cov = store.coverage().unwrap();
            check(cov == want_cov, || {
                format!("coverage differs: {ref_name} {want_cov:?}, {name} {cov:?}")
            })?;
            for (origin, _) in want_cov.iter() {
                check(digests(store, origin) == digests(reference, origin), || {
                    format!("{name} and {ref_name} hold different change sets of {origin}")
                })?;
            }
        }
        self.nothing_lost(replicas)?;
        self.oracle_holds(&want)
    }

    /// Property 2 at the end: outboxes empty, the state hub holds every tablet's change sets.
    pub(super) fn nothing_lost(&self, replicas: &[(String, &Store)]) -> Fail {
        let upstream = &self.hubs[0];
        for (name, store) in replicas {
            if std::ptr::eq(*store, upstream) {
                continue; // Nobody acknowledges the state hub's own changes.
            }
            let p = store.pending().unwrap();
            check(p.changes == 0, || {
                format!("{name}: outbox not empty: {p:?}")
            })?;
        }
        for (i, d) in self.devices.iter().enumerate() {
            let r = d.replica_id();
            let own = d.ops_from(r, 0, ALL).unwrap().len();
            let up = upstream.ops_from(r, 0, ALL).unwrap().len();
            check(own == up, || {
                format!("dev{i} authored {own} ops, the state hub holds {up}")
            })?;
            check(digests(d, r) == digests(upstream, r), || {
                format!("dev{i}: the state hub holds other change sets than it authored")
            })?;
            let (mine, theirs) = (
                d.coverage().unwrap().get(r),
                upstream.coverage().unwrap().get(r),
            );
            check(mine == theirs, || {
                format!("dev{i}: own coverage {mine}, state hub's {theirs}")
            })?;
        }
        Ok(())
    }

    /// Property 3: the converged state is what the tablets did.
    pub(super) fn oracle_holds(&self, s: &Snapshot) -> Fail {
        let o = &self.oracle;
        let want_h: BTreeSet<HouseholdId> = o
            .households
            .difference(&o.deleted_households)
            .copied()
            .collect();
        let live_h: BTreeSet<HouseholdId> = s.households.keys().copied().collect();
        check(live_h == want_h, || {
            format!("live households {live_h:?}, created and not deleted {want_h:?}")
        })?;
        let want_m: BTreeSet<MemberId> =
            o.members.difference(&o.deleted_members).copied().collect();
        let live_m: BTreeSet<MemberId> = s
            .members
            .iter()
            .filter(|(_, r)| r.is_some())
            .map(|(m, _)| *m)
            .collect();
        check(live_m == want_m, || {
            format!("live members {live_m:?}, created and not deleted {want_m:?}")
        })?;
        let mut listed: BTreeMap<MemberId, Vec<HouseholdId>> = BTreeMap::new();
        for (h, (_, members)) in &s.households {
            for m in members {
                listed.entry(m.id).or_default().push(*h);
            }
        }
        for (m, row) in &s.members {
            let Some(row) = row else {
                check(!listed.contains_key(m), || {
                    format!("deleted member {m} is listed in {:?}", listed[m])
                })?;
                continue;
            };
            let h = row.household_id;
            check(h.is_some_and(|h| o.homes[m].contains(&h)), || {
                format!(
                    "{m} is in {h:?}, never one of its households {:?}",
                    o.homes[m]
                )
            })?;
            let expect: Vec<HouseholdId> = h.filter(|h| live_h.contains(h)).into_iter().collect();
            let got = listed.get(m).cloned().unwrap_or_default();
            check(got == expect, || {
                format!("{m} (household {h:?}) is listed in {got:?}")
            })?;
            for (f, _) in FIELDS {
                let v = field_of_row(row, f);
                let ok = o.written.get(&(*m, f)).is_some_and(|w| w.contains(&v));
                check(ok, || {
                    format!(
                        "{m}.{f} = {v:?}, never written: {:?}",
                        o.written.get(&(*m, f))
                    )
                })?;
            }
        }
        Ok(())
    }

    pub(super) fn fail(&self, e: &str) -> ! {
        panic!(
            "{e}\nstats: {:?}\nevents:\n{}",
            self.stats,
            self.log.join("\n")
        )
    }

    pub(super) fn subset_holds(&self) -> Fail {
        let (up, d) = (&self.hubs[0], &self.devices[0]);
        let ids = |s: &Store, v: Option<VillageId>| -> Vec<HouseholdId> {
            s.list_households(v, ALL, 0)
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        };
        let (want, got) = (ids(up, Some(self.villages[0])), ids(d, None));
        check(want == got, || {
            format!("dev0 (village 1 only) holds households {got:?}, hub0's in village 1: {want:?}")
        })?;
        for h in want {
            let (a, b) = (up.household(h).unwrap(), d.household(h).unwrap());
            let rows = |x: &abha_core::store::HouseholdDetail| {
                (
                    x.household.clone(),
                    x.members.iter().map(MemberRow::from).collect::<Vec<_>>(),
                )
            };
            let (a, b) = (rows(&a), rows(&b));
            check(a == b, || {
                format!("household {h} differs:\nhub0: {a:#?}\ndev0: {b:#?}")
            })?;
        }
        let p = d.pending().unwrap();
        check(p.changes == 0, || format!("dev0: outbox not empty: {p:?}"))
    }
}

fn field_of_row(r: &MemberRow, field: &str) -> Option<String> {
    match field {
        "given_name" => r.given_name.clone(),
        "family_name" => r.family_name.clone(),
        "mobile" => r.mobile.clone(),
        "birth_date" => r.birth_date.clone(),
        "relation" => r.relation.clone(),
        "abha_number" => r.abha_number.clone(),
        other => panic!("no such field {other}"),
    }
}

fn digests(store: &Store, origin: ReplicaId) -> Vec<(u64, [u8; 16])> {
    store
        .changes_from(origin, 0, ALL)
        .unwrap()
        .iter()
        .map(|s| (s.first_seq, s.digest))
        .collect()
}

/// Compares two snapshots part by part, so a failure names the first record that differs.
pub(super) fn same_snapshot(na: &str, a: &Snapshot, nb: &str, b: &Snapshot) -> Fail {
    check(a.villages == b.villages, || {
        format!(
            "villages differ: {na} {:?}, {nb} {:?}",
            a.villages, b.villages
        )
    })?;
    let (ka, kb): (Vec<_>, Vec<_>) = (a.households.keys().collect(), b.households.keys().collect());
    check(ka == kb, || {
        format!("live households differ: {na} {ka:?}, {nb} {kb:?}")
    })?;
    for (id, ha) in &a.households {
        let hb = &b.households[id];
        check(ha == hb, || {
            format!("household {id} differs:\n{na}: {ha:#?}\n{nb}: {hb:#?}")
        })?;
    }
    for (id, ma) in &a.members {
        let mb = &b.members[id];
        check(ma == mb, || {
            format!("member {id} differs:\n{na}: {ma:#?}\n{nb}: {mb:#?}")
        })?;
    }
    check(a.summaries == b.summaries, || {
        format!(
            "household lists differ:\n{na}: {:#?}\n{nb}: {:#?}",
            a.summaries, b.summaries
        )
    })
}

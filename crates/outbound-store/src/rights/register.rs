//! The register's operations: intake, identity, forwarding, answers, pauses,
//! extension, closing and refusal, each one transaction and one audit entry.

use super::*;

impl Store {
    /// Opens a rights request; `by` names who entered it (an account,
    /// `cli:` and the operating-system user, or `public` for the public form). The audit entry (`request_opened`)
    /// carries the id, channel, kinds, regimes and identity method, never the
    /// keyed hash. Refuses a received time that is not RFC 3339 or lies in the
    /// future, no kinds, no regimes, or a malformed regime; nothing is stored
    /// then. With `withdraw_consent` and a verified identity, also ends the
    /// person's consents (see the module doc).
    pub fn open_request(
        &self,
        keys: &Keys,
        by: &str,
        new: &NewRequest<'_>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        let received_at = past("the time the request was received", new.received_at, &now)?;
        if new.kinds.is_empty() {
            return Err(invalid("a request asks for at least one kind"));
        }
        if new.regimes.is_empty() {
            return Err(invalid("a request names at least one regime (CN, EU …)"));
        }
        for r in new.regimes {
            if r.is_empty() || r.len() > 8 || !r.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid("a regime is 1 to 8 letters or digits (CN, EU …)"));
            }
        }
        let identity_at = match (new.identity, new.identity_at) {
            (IdentityMethod::NoneYet, Some(_)) => {
                return Err(invalid("an identity time is given but no identity method"));
            }
            (IdentityMethod::NoneYet, None) => None,
            (_, Some(at)) => {
                let at = past("the time the identity was checked", at, &now)?;
                if at < received_at {
                    return Err(invalid(format!(
                        "the identity check {at} is before the request was received ({received_at})"
                    )));
                }
                Some(at)
            }
            (_, None) => Some(received_at.clone()),
        };
        let kinds: BTreeSet<RequestKind> = new.kinds.iter().copied().collect();
        let regimes: BTreeSet<String> = new.regimes.iter().cloned().collect();
        let (channel, subject, identity, by_owned) =
            (new.channel, new.subject, new.identity, by.to_string());
        // Group-committed: requests from the public form, many at once, share
        // a signed head and a sync. Each takes the next number in its turn.
        let (req, _) = self.write_grouped(keys, "open a rights request", move |tx, _| Box::pin(async move {
            let by = by_owned;
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM rights_requests")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let r = Request {
                id: format!("req-{:04}", n + 1),
                opened_at: now.clone(),
                received_at,
                channel,
                kinds: kinds.into_iter().collect(),
                regimes: regimes.into_iter().collect(),
                subject,
                identity_method: identity,
                identity_at,
                state: "open".into(),
                pauses: Vec::new(),
                extension: None,
                consents_withdrawn: None,
                closed_at: None,
                refusal: None,
                proof: Vec::new(),
                parts: Vec::new(),
            };
            let sql = format!(
                "INSERT INTO rights_requests ({COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(r.id.clone())
                .bind(r.opened_at.clone())
                .bind(r.received_at.clone())
                .bind(r.channel.as_str())
                .bind(serde_json::json!(r.kinds).to_string())
                .bind(serde_json::json!(r.regimes).to_string())
                .bind(hex::encode(r.subject))
                .bind(r.identity_method.as_str())
                .bind(r.identity_at.clone())
                .bind(r.state.clone())
                .bind("[]")
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind("[]")
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(REQUESTS, &request_row(&r), false);
            delta.apply(tx).await?;
            let body = serde_json::json!({
                "request": r.id, "channel": r.channel, "kinds": r.kinds, "regimes": r.regimes,
                "received_at": r.received_at, "identity": r.identity_method, "state": r.state, "by": by,
            });
            Ok((r, crate::audit::prepare("request_opened", body)?))
        }))?;
        if needs_withdrawal(&req) {
            return self.withdraw_request_consents(keys, by, &req.id);
        }
        Ok(req)
    }

    /// Records how and when the person's identity was checked (once; not
    /// `none_yet`; not before receipt, not in the future; defaults to now).
    /// With `withdraw_consent`, then ends the person's consents.
    pub fn verify_request_identity(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        method: IdentityMethod,
        at: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        if method == IdentityMethod::NoneYet {
            return Err(invalid("name how the identity was checked (not none_yet)"));
        }
        let (now, _) = crate::audit::now();
        let at = match at {
            Some(at) => past("the time the identity was checked", at, &now)?,
            None => now.clone(),
        };
        let req = self.run("record an identity check", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.identity_method != IdentityMethod::NoneYet {
                return Err(conflict(format!(
                    "the identity for rights request `{id}` was already checked ({})",
                    old.identity_method
                )));
            }
            if at < old.received_at {
                return Err(invalid(format!(
                    "the identity check {at} is before the request was received ({})",
                    old.received_at
                )));
            }
            let new = Request {
                identity_method: method,
                identity_at: Some(at.clone()),
                ..old.clone()
            };
            let body = serde_json::json!({"identity": method, "identity_at": at});
            commit_change(tx, keys, &old, &new, "request_identity", by, body).await?;
            Ok(new)
        })?;
        if needs_withdrawal(&req) {
            return self.withdraw_request_consents(keys, by, &req.id);
        }
        Ok(req)
    }

    /// For a `withdraw_consent` request whose identity is verified: ends every
    /// consent of the person in the consent register ([`Store::consent_withdraw`],
    /// logged `consent_withdrawn`), then records on the request when and how
    /// many (`request_consent_withdrawn`). Called by [`Store::open_request`]
    /// and [`Store::verify_request_identity`]; public so that a flow
    /// interrupted between the two steps can be completed. Refuses a request
    /// without that kind, unverified, finished, or already done.
    pub fn withdraw_request_consents(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
    ) -> Result<Request, StoreError> {
        let req = self
            .rights_request(id)?
            .ok_or_else(|| StoreError::NotFound {
                what: format!(
                    "rights request `{}`",
                    id.chars().take(40).collect::<String>()
                ),
            })?;
        if !needs_withdrawal(&req) {
            return Err(conflict(format!(
                "rights request `{id}` has no consent withdrawal pending (it needs the kind \
                 withdraw_consent, a verified identity, and no withdrawal recorded)"
            )));
        }
        let (at, _) = crate::audit::now();
        let count = self.consent_withdraw(keys, req.subject, None, &at)?;
        self.run("record a consent withdrawal", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            if old.consents_withdrawn.is_some() {
                return Err(conflict(format!(
                    "the consents of rights request `{id}` were already withdrawn"
                )));
            }
            let new = Request {
                consents_withdrawn: Some(ConsentsWithdrawn {
                    at: at.clone(),
                    count,
                }),
                ..old.clone()
            };
            let body = serde_json::json!({"withdrawn": count, "at": at});
            commit_change(tx, keys, &old, &new, "request_consent_withdrawn", by, body).await?;
            Ok(new)
        })
    }

    /// Forwards the request to every recipient that received the person: one
    /// part per distinct recipient, from the committed deliveries, with the
    /// transfers and years that reached it (none if no transfer carried the
    /// person). Refuses a request whose identity is not verified, already
    /// forwarded, or finished. Logged `request_forwarded` with the recipients
    /// and counts.
    pub fn forward_request(&self, keys: &Keys, by: &str, id: &str) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("forward a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.state != "open" {
                return Err(conflict(format!("rights request `{id}` was already forwarded")));
            }
            if old.identity_method == IdentityMethod::NoneYet {
                return Err(invalid(format!(
                    "the identity for rights request `{id}` is not checked yet: record it before forwarding"
                )));
            }
            let rows = crate::deliveries::carried(&mut tx, &old.subject).await?;
            let mut per: BTreeMap<String, (BTreeSet<String>, BTreeSet<i64>)> = BTreeMap::new();
            for (transfer, year, batch) in &rows {
                let recipient: String = sqlx::query("SELECT recipient FROM batches WHERE id = $1")
                    .bind(*batch)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| crate::state::tampered("a delivery names a batch that was not recorded"))?
                    .try_get(0)?;
                let e = per.entry(recipient).or_default();
                e.0.insert(transfer.clone());
                e.1.insert(*year);
            }
            let mut delta = Delta::default();
            let mut parts = Vec::new();
            for (recipient, (transfers, years)) in per {
                let p = RequestPart {
                    request: old.id.clone(),
                    recipient,
                    transfers: transfers.into_iter().collect(),
                    years: years.into_iter().collect(),
                    forwarded_at: now.clone(),
                    outcome: None,
                    reason: None,
                    answered_at: None,
                    evidence_sha256: None,
                    answer_index: None,
                    answered_by: None,
                };
                let sql = format!(
                    "INSERT INTO rights_parts ({PART_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(p.request.clone())
                    .bind(p.recipient.clone())
                    .bind(serde_json::json!(p.transfers).to_string())
                    .bind(serde_json::json!(p.years).to_string())
                    .bind(p.forwarded_at.clone())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<i64>)
                    .bind(None::<String>)
                    .execute(&mut *tx)
                    .await?;
                delta.insert(REQUESTS, &part_row(&p), false);
                parts.push(p);
            }
            let new = Request {
                state: "forwarded".into(),
                parts: parts.clone(),
                ..old.clone()
            };
            update(&mut tx, &old, &new, &mut delta).await?;
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "request": id, "state": new.state, "parts": parts.len(),
                "recipients": parts.iter().map(|p| p.recipient.as_str()).collect::<Vec<_>>(),
                "deliveries": rows.len(), "by": by,
            });
            crate::audit::append(&mut tx, keys, "request_forwarded", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Records a recipient's answer to its part, once. A refusal needs a
    /// reason code; the evidence is given by its SHA-256 (64 hex digits). The
    /// answer's time is not in the future nor before the part was forwarded.
    /// The part keeps the audit index of this entry (`request_part_answered`):
    /// the proof the closed request lists.
    pub fn answer_request_part(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        recipient: &str,
        answer: &PartAnswer<'_>,
    ) -> Result<RequestPart, StoreError> {
        name("`by`", by)?;
        name("the recipient", recipient)?;
        let (now, _) = crate::audit::now();
        let answered_at = match answer.answered_at {
            Some(at) => past("the time of the answer", at, &now)?,
            None => now.clone(),
        };
        match (answer.outcome, answer.reason) {
            (PartOutcome::Refused, None) => {
                return Err(invalid("a refusal needs a reason code"));
            }
            (PartOutcome::Done, Some(_)) => {
                return Err(invalid("a reason code is only for a refusal"));
            }
            _ => {}
        }
        let evidence = match answer.evidence_sha256 {
            Some(h) if h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(_) => return Err(invalid("the evidence's SHA-256 is not 64 hex digits")),
            None => None,
        };
        self.run("answer a rights request part", async {
            let mut tx = self.begin_write().await?;
            let checked = crate::state::check(&mut tx, keys).await?;
            let req = request_in(&mut tx, id).await?;
            unfinished(&req)?;
            let Some(old) = req.parts.iter().find(|p| p.recipient == recipient).cloned() else {
                return Err(StoreError::NotFound {
                    what: format!("a part of rights request `{id}` for recipient `{recipient}`"),
                });
            };
            if let Some(o) = old.outcome {
                return Err(conflict(format!(
                    "recipient `{recipient}` already answered rights request `{id}` ({o}, at {})",
                    old.answered_at.as_deref().unwrap_or("?")
                )));
            }
            if answered_at < old.forwarded_at {
                return Err(invalid(format!(
                    "the answer {answered_at} is before the request was forwarded ({})",
                    old.forwarded_at
                )));
            }
            // The entry appended below is the log's next one.
            let index = checked.size;
            let new = RequestPart {
                outcome: Some(answer.outcome),
                reason: answer.reason,
                answered_at: Some(answered_at.clone()),
                evidence_sha256: evidence.clone(),
                answer_index: Some(index),
                answered_by: Some(by.to_string()),
                ..old.clone()
            };
            sqlx::query(
                "UPDATE rights_parts SET outcome = $1, reason = $2, answered_at = $3, evidence_sha256 = $4, \
                 answer_index = $5, answered_by = $6 WHERE request = $7 AND recipient = $8",
            )
            .bind(answer.outcome.as_str())
            .bind(answer.reason.map(|r| r.as_str()))
            .bind(answered_at.clone())
            .bind(evidence.clone())
            .bind(index as i64)
            .bind(by.to_string())
            .bind(id.to_string())
            .bind(recipient.to_string())
            .execute(&mut *tx)
            .await?;
            let mut delta = Delta::default();
            delta.remove(REQUESTS, &part_row(&old), false);
            delta.insert(REQUESTS, &part_row(&new), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "request": id, "recipient": recipient, "outcome": answer.outcome,
                "reason": answer.reason, "answered_at": answered_at,
                "evidence_sha256": evidence, "by": by,
            });
            let (idx, _) =
                crate::audit::append(&mut tx, keys, "request_part_answered", body).await?;
            if idx != index {
                return Err(conflict("the audit log moved while the answer was recorded; try again"));
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Pauses the request's clock (e.g. awaiting identity verification) from
    /// `from` (default now; not before receipt, not in the future). Refuses a
    /// request already paused or finished. The reason is stored, not logged.
    pub fn pause_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: &str,
        from: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let reason = text("the reason for the pause", reason)?;
        let (now, _) = crate::audit::now();
        let from = match from {
            Some(f) => past("the start of the pause", f, &now)?,
            None => now.clone(),
        };
        self.run("pause a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.paused() {
                return Err(conflict(format!("rights request `{id}` is already paused")));
            }
            let floor = old
                .pauses
                .last()
                .and_then(|p| p.to.clone())
                .unwrap_or_else(|| old.received_at.clone());
            if from < floor {
                return Err(invalid(format!(
                    "the pause would start at {from}, before {floor} (receipt or the end of the last pause)"
                )));
            }
            let mut new = old.clone();
            new.pauses.push(Pause {
                from: from.clone(),
                to: None,
                reason,
            });
            let body = serde_json::json!({"from": from, "pauses": new.pauses.len()});
            commit_change(tx, keys, &old, &new, "request_paused", by, body).await?;
            Ok(new)
        })
    }

    /// Ends the running pause at `to` (default now; not before its start, not in the future).
    pub fn resume_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        to: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        let to = match to {
            Some(t) => past("the end of the pause", t, &now)?,
            None => now.clone(),
        };
        self.run("resume a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if !old.paused() {
                return Err(conflict(format!("rights request `{id}` is not paused")));
            }
            let mut new = old.clone();
            let last = new.pauses.last_mut().expect("paused");
            if to < last.from {
                return Err(invalid(format!(
                    "the pause would end at {to}, before it started ({})",
                    last.from
                )));
            }
            last.to = Some(to.clone());
            let body = serde_json::json!({"from": last.from, "to": to});
            commit_change(tx, keys, &old, &new, "request_resumed", by, body).await?;
            Ok(new)
        })
    }

    /// Records the extension of the time limit: when the person was told
    /// (`at`, default now; not before receipt, not in the future) and why.
    /// Once per request. Whether it was told in time, and the new due date,
    /// are for `outbound_rules::rights` to say.
    pub fn extend_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: &str,
        at: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let reason = text("the reason for the extension", reason)?;
        let (now, _) = crate::audit::now();
        let at = match at {
            Some(a) => past("the time the person was told of the extension", a, &now)?,
            None => now.clone(),
        };
        self.run("extend a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.extension.is_some() {
                return Err(conflict(format!(
                    "rights request `{id}` was already extended"
                )));
            }
            if at < old.received_at {
                return Err(invalid(format!(
                    "the extension {at} is before the request was received ({})",
                    old.received_at
                )));
            }
            let new = Request {
                extension: Some(Extension {
                    at: at.clone(),
                    reason,
                }),
                ..old.clone()
            };
            let body = serde_json::json!({"at": at});
            commit_change(tx, keys, &old, &new, "request_extended", by, body).await?;
            Ok(new)
        })
    }

    /// Closes a forwarded request once every part is answered; its proof is
    /// the audit indexes of the answers. Refuses a request not forwarded yet,
    /// with a part unanswered, paused, or finished.
    pub fn close_request(&self, keys: &Keys, by: &str, id: &str) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("close a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.state != "forwarded" {
                return Err(conflict(format!(
                    "rights request `{id}` is not forwarded yet: forward it first"
                )));
            }
            if old.paused() {
                return Err(conflict(format!(
                    "rights request `{id}` is paused: resume it first"
                )));
            }
            let waiting: Vec<&str> = old
                .parts
                .iter()
                .filter(|p| p.outcome.is_none())
                .map(|p| p.recipient.as_str())
                .collect();
            if !waiting.is_empty() {
                return Err(conflict(format!(
                    "rights request `{id}` still waits for {} recipient(s): {}",
                    waiting.len(),
                    waiting.join(", ")
                )));
            }
            let mut proof: Vec<u64> = old.parts.iter().filter_map(|p| p.answer_index).collect();
            proof.sort_unstable();
            let new = Request {
                state: "closed".into(),
                closed_at: Some(now.clone()),
                proof: proof.clone(),
                ..old.clone()
            };
            let body = serde_json::json!({"parts": old.parts.len(), "proof": proof});
            commit_change(tx, keys, &old, &new, "request_closed", by, body).await?;
            Ok(new)
        })
    }

    /// Refuses the request as a whole, with a reason code (the person is told
    /// outside the register). Refuses a request already finished.
    pub fn refuse_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: RefusalReason,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("refuse a rights request", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            let mut new = Request {
                state: "refused".into(),
                closed_at: Some(now.clone()),
                refusal: Some(reason),
                ..old.clone()
            };
            if let Some(p) = new.pauses.last_mut().filter(|p| p.to.is_none()) {
                p.to = Some(now.clone());
            }
            let body = serde_json::json!({"reason": reason});
            commit_change(tx, keys, &old, &new, "request_refused", by, body).await?;
            Ok(new)
        })
    }

    /// The request `id`, with its parts.
    pub fn rights_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        self.run("read a rights request", async {
            let mut conn = self.pool.acquire().await?;
            let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
            let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let mut req = of(&r)?;
            req.parts = parts_of(&mut conn, id).await?;
            Ok(Some(req))
        })
    }

    /// Every request, newest first, with its parts.
    pub fn rights_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.run("list rights requests", async {
            let mut conn = self.pool.acquire().await?;
            let sql = format!(
                // Newest first by number: `req-10000` is newer than `req-9999`.
                "SELECT {COLUMNS} FROM rights_requests ORDER BY LENGTH(id) DESC, id DESC"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?;
            let sql =
                format!("SELECT {PART_COLUMNS} FROM rights_parts ORDER BY request, recipient");
            let mut parts: BTreeMap<String, Vec<RequestPart>> = BTreeMap::new();
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?
            {
                let p = part_of(&r)?;
                parts.entry(p.request.clone()).or_default().push(p);
            }
            rows.iter()
                .map(|r| {
                    let mut req = of(r)?;
                    req.parts = parts.remove(&req.id).unwrap_or_default();
                    Ok(req)
                })
                .collect()
        })
    }

    /// One page of requests, newest first by number, each with its parts:
    /// what the server lists, so that the ten-thousandth request costs the
    /// list no more than the first. Open ones or finished ones (closed or
    /// refused) with `open`, those with a part forwarded to `recipient`,
    /// older than `before`, at most `limit` (up to [`crate::PAGE_MAX`]).
    pub fn rights_requests_page(&self, q: &RequestQuery<'_>) -> Result<Vec<Request>, StoreError> {
        self.run("list a page of rights requests", async {
            let mut conn = self.pool.acquire().await?;
            // Conditions with their placeholders, numbered in bind order.
            let mut sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE 1 = 1");
            match q.open {
                Some(true) => sql.push_str(" AND state NOT IN ('closed', 'refused')"),
                Some(false) => sql.push_str(" AND state IN ('closed', 'refused')"),
                None => {}
            }
            let mut n = 0;
            let mut next = || {
                n += 1;
                format!("${n}")
            };
            if q.recipient.is_some() {
                let r = next();
                sql.push_str(&format!(
                    " AND id IN (SELECT request FROM rights_parts WHERE recipient = {r})"
                ));
            }
            if q.before.is_some() {
                let (a, b, c) = (next(), next(), next());
                sql.push_str(&format!(
                    " AND (LENGTH(id) < LENGTH({a}) OR (LENGTH(id) = LENGTH({b}) AND id < {c}))"
                ));
            }
            let limit = next();
            sql.push_str(&format!(" ORDER BY LENGTH(id) DESC, id DESC LIMIT {limit}"));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Some(r) = q.recipient {
                query = query.bind(r);
            }
            if let Some(b) = q.before {
                query = query.bind(b).bind(b).bind(b);
            }
            let limit = i64::try_from(q.limit.min(crate::PAGE_MAX)).unwrap_or(0);
            let rows = query.bind(limit).fetch_all(&mut *conn).await?;
            let mut requests: Vec<Request> = rows.iter().map(of).collect::<Result<_, _>>()?;
            if requests.is_empty() {
                return Ok(requests);
            }
            // The page's parts in one query.
            let sql = format!(
                "SELECT {PART_COLUMNS} FROM rights_parts WHERE request IN ({}) ORDER BY request, recipient",
                crate::placeholders(1, requests.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in &requests {
                query = query.bind(r.id.clone());
            }
            let mut parts: BTreeMap<String, Vec<RequestPart>> = BTreeMap::new();
            for r in query.fetch_all(&mut *conn).await? {
                let p = part_of(&r)?;
                parts.entry(p.request.clone()).or_default().push(p);
            }
            for r in &mut requests {
                r.parts = parts.remove(&r.id).unwrap_or_default();
            }
            Ok(requests)
        })
    }

    /// How many requests are open and how many finished (closed or
    /// refused); those with a part forwarded to `recipient` with one.
    pub fn rights_request_counts(&self, recipient: Option<&str>) -> Result<(u64, u64), StoreError> {
        self.run("count rights requests", async {
            let mut conn = self.pool.acquire().await?;
            let count = "SELECT CAST(COALESCE(SUM(CASE WHEN state IN ('closed', 'refused') THEN 0 ELSE 1 END), 0) AS BIGINT), \
                         CAST(COUNT(*) AS BIGINT) FROM rights_requests";
            let row = match recipient {
                Some(r) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{count} WHERE id IN (SELECT request FROM rights_parts WHERE recipient = $1)"
                    )))
                    .bind(r)
                    .fetch_one(&mut *conn)
                    .await?
                }
                None => sqlx::query(sqlx::AssertSqlSafe(count)).fetch_one(&mut *conn).await?,
            };
            let (open, all) = (row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?);
            Ok((open as u64, (all - open) as u64))
        })
    }
}

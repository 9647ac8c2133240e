//! The battle in progress: glue between the page, the core's [`Battle`] state machine, the
//! running requests and the store. Rules live in `arena_core::battle`; this only wires them.

use std::rc::Rc;

use arena_core::ArenaConfig;
use arena_core::battle::pairing::{Candidate, Pairing, known_rating, pick_pair};
use arena_core::battle::{Battle, Fighter, Mode, Side};
use arena_core::config::Contestant;
use arena_core::store::Store;
use arena_core::{VoteRecord, Winner};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::contestants::{self, Running, Update as AnswerUpdate};
use crate::llm::protocol::LoadProgress;
use crate::state::keys::{Keyring, use_keyring};
use crate::state::{DataWorker, LocalModels, use_local_models};
use crate::store::IdbStore;

/// Settings key of the battle to restore after a reload.
const CURRENT: &str = "current_battle";
/// Settings key of this browser's pseudonymous judge id.
const JUDGE: &str = "judge_id";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Current {
    id: String,
    a: String,
    b: String,
    named: bool,
}

/// Handle to the battle page's state; `Copy`, so closures can take it freely.
#[derive(Debug, Clone, Copy)]
pub struct BattleCtl {
    pub battle: RwSignal<Option<Battle>>,
    /// A message for the judge (storage failure, no contestants, …).
    pub error: RwSignal<Option<String>>,
    /// Whether the vote is being written.
    pub saving: RwSignal<bool>,
    /// A local model's loading progress, per side (A, B); never stored.
    pub loading: RwSignal<[Option<LoadProgress>; 2]>,
    running: StoredValue<Vec<(Side, Running)>, LocalStorage>,
    persist_pending: StoredValue<bool, LocalStorage>,
    keyring: Keyring,
    mode: Mode,
    /// Ranks the stored votes for efficient pairing (absent outside the app, e.g. in tests).
    worker: Option<DataWorker>,
    /// Runs local contestants (absent outside the app).
    local: Option<LocalModels>,
}

impl BattleCtl {
    pub fn new(mode: Mode) -> BattleCtl {
        let ctl = BattleCtl {
            battle: RwSignal::new(None),
            error: RwSignal::new(None),
            saving: RwSignal::new(false),
            loading: RwSignal::new([None, None]),
            running: StoredValue::new_local(Vec::new()),
            persist_pending: StoredValue::new_local(false),
            keyring: use_keyring(),
            mode,
            worker: use_context::<DataWorker>(),
            local: use_local_models(),
        };
        // Leaving the page aborts whatever is still streaming.
        on_cleanup(move || ctl.abort_all());
        ctl
    }

    /// False once the page that owns this battle is gone; async continuations check it
    /// before touching signals, so a late stream update after leaving the page is dropped.
    fn alive(self) -> bool {
        !self.battle.is_disposed()
    }

    fn abort_all(self) {
        if let Some(running) = self.running.try_update_value(std::mem::take) {
            for (_, r) in running {
                r.abort();
            }
        }
    }

    /// Sets one side's loading progress (`None`: both sides). Never called from the page's
    /// cleanup: writing a signal there re-runs views that are being disposed.
    fn set_loading(self, side: Option<Side>, progress: Option<LoadProgress>) {
        self.loading.try_update(|l| match side {
            Some(s) => l[side_index(s)] = progress,
            None => *l = [None, None],
        });
    }

    /// Restores the unvoted battle of a previous visit, if there is one.
    pub async fn restore(self, config: &ArenaConfig, store: &IdbStore) {
        let Ok(Some(value)) = store.setting(CURRENT).await else {
            return;
        };
        let Ok(current) = serde_json::from_value::<Current>(value) else {
            return;
        };
        let (Some(a), Some(b)) = (config.contestant(&current.a), config.contestant(&current.b))
        else {
            return;
        };
        if let Ok(Some(conv)) = store.conversation(&current.id).await
            && !conv.voted
            && self.alive()
        {
            let mode = if current.named {
                Mode::Named
            } else {
                Mode::Anonymous
            };
            if mode == self.mode {
                let battle =
                    Battle::restore(&conv, config.arena_id.clone(), fighter(a), fighter(b), mode);
                self.battle.set(Some(battle));
            }
        }
    }

    /// Sends a prompt: the first one starts a battle between two drawn contestants (or the
    /// two `chosen`, in named mode), later ones are follow-ups.
    pub async fn send(
        self,
        config: Rc<ArenaConfig>,
        store: Rc<IdbStore>,
        prompt: String,
        chosen: Option<(String, String)>,
    ) {
        self.error.set(None);
        if self.battle.with_untracked(Option::is_none) {
            let battle = self.new_battle(&config, &store, chosen).await;
            if !self.alive() {
                return;
            }
            match battle {
                Ok(b) => self.battle.set(Some(b)),
                Err(e) => {
                    self.error.set(Some(e));
                    return;
                }
            }
        }
        let sent = self
            .battle
            .try_update(|b| b.as_mut().map(|b| b.send(&prompt)))
            .flatten();
        match sent {
            Some(Ok(())) => self.start_both(&config, &store).await,
            Some(Err(e)) => self.error.set(Some(e.to_string())),
            None => {}
        }
    }

    async fn new_battle(
        self,
        config: &ArenaConfig,
        store: &IdbStore,
        chosen: Option<(String, String)>,
    ) -> Result<Battle, String> {
        let (a, b) = match chosen {
            Some((a, b)) => {
                let find = |id: &str| {
                    config
                        .contestant(id)
                        .ok_or_else(|| format!("No contestant with id {id}."))
                };
                if a == b {
                    return Err("Pick two different contestants.".into());
                }
                (find(&a)?, find(&b)?)
            }
            None => pick(config, self.worker).await?,
        };
        let id = crate::browser::random::new_id();
        let current = Current {
            id: id.clone(),
            a: a.id.clone(),
            b: b.id.clone(),
            named: self.mode == Mode::Named,
        };
        if let Ok(v) = serde_json::to_value(&current) {
            let _ = store.put_setting(CURRENT, &v).await;
        }
        Ok(Battle::new(
            id,
            config.arena_id.clone(),
            fighter(a),
            fighter(b),
            self.mode,
        ))
    }

    async fn start_both(self, config: &ArenaConfig, store: &Rc<IdbStore>) {
        self.abort_all();
        self.set_loading(None, None);
        let Some(battle) = self.battle.get_untracked() else {
            return;
        };
        for side in Side::BOTH {
            let fighter = battle.fighter(side);
            let Some(contestant) = config.contestant(&fighter.id).cloned() else {
                continue;
            };
            let key = match contestants::key_name(&contestant) {
                Some(name) => self.keyring.key(store.as_ref(), &name).await,
                None => None,
            };
            if !self.alive() {
                return;
            }
            let messages = battle.messages_for(side);
            let store = store.clone();
            let on_update: Rc<dyn Fn(AnswerUpdate)> = Rc::new(move |u| self.apply(side, u, &store));
            let pool = self.local.and_then(LocalModels::pool);
            let running = contestants::start(&contestant, key, &messages, pool, on_update);
            self.running.update_value(|r| r.push((side, running)));
        }
        self.persist(store.clone());
    }

    fn apply(self, side: Side, update: AnswerUpdate, store: &Rc<IdbStore>) {
        if !self.alive() {
            return;
        }
        if let AnswerUpdate::Loading(progress) = update {
            self.set_loading(Some(side), progress);
            return;
        }
        if self
            .loading
            .try_with_untracked(|l| l[side_index(side)].is_some())
            .unwrap_or(false)
        {
            self.set_loading(Some(side), None);
        }
        let ended = matches!(update, AnswerUpdate::Done(_) | AnswerUpdate::Failed(_));
        self.battle.update(|b| {
            let Some(b) = b else { return };
            match update {
                AnswerUpdate::Loading(_) => {}
                AnswerUpdate::Text(t) => b.push_text(side, &t),
                AnswerUpdate::Reasoning(t) => b.push_reasoning(side, &t),
                AnswerUpdate::Done(reason) => b.finish(side, reason),
                // A blind battle shows no provider-specific advice before the vote: it
                // could name the provider (see `Failure::anonymous`).
                AnswerUpdate::Failed(f) if self.mode == Mode::Anonymous && b.vote.is_none() => {
                    b.fail(side, f.anonymous().sentence());
                }
                AnswerUpdate::Failed(f) => b.fail(side, f.sentence()),
            }
        });
        if ended {
            // A finished request has nothing to abort: detach it rather than drop it.
            let finished = self.running.try_update_value(|r| {
                let (done, keep): (Vec<_>, Vec<_>) =
                    std::mem::take(r).into_iter().partition(|(s, _)| *s == side);
                *r = keep;
                done
            });
            for (_, r) in finished.unwrap_or_default() {
                r.detach();
            }
        }
        self.persist(store.clone());
    }

    /// Writes the battle so a reload restores it; at most one write is queued at a time.
    fn persist(self, store: Rc<IdbStore>) {
        if !self.alive() || self.persist_pending.get_value() {
            return;
        }
        self.persist_pending.set_value(true);
        set_timeout(
            move || {
                if !self.alive() {
                    return;
                }
                self.persist_pending.set_value(false);
                if let Some(b) = self.battle.get_untracked() {
                    spawn_local(async move {
                        let conv = b.to_conversation(js_sys::Date::now());
                        if let Err(e) = store.put_conversation(&conv).await
                            && self.alive()
                        {
                            self.error.set(Some(e.to_string()));
                        }
                    });
                }
            },
            std::time::Duration::from_millis(250),
        );
    }

    /// Stops one side; what has arrived stays and can be judged.
    pub fn stop(self, side: Side) {
        self.battle.update(|b| {
            if let Some(b) = b {
                b.stop(side);
            }
        });
        let stopped = self.running.try_update_value(|r| {
            let (stop, keep): (Vec<_>, Vec<_>) =
                std::mem::take(r).into_iter().partition(|(s, _)| *s == side);
            *r = keep;
            stop
        });
        for (_, r) in stopped.unwrap_or_default() {
            r.abort();
        }
        self.set_loading(Some(side), None);
    }

    /// Both sides answer the current turn again.
    pub async fn regenerate(self, config: Rc<ArenaConfig>, store: Rc<IdbStore>) {
        let ok = self
            .battle
            .try_update(|b| b.as_mut().map(Battle::regenerate))
            .flatten();
        match ok {
            Some(Ok(())) => self.start_both(&config, &store).await,
            Some(Err(e)) => self.error.set(Some(e.to_string())),
            None => {}
        }
    }

    /// Votes, stores the vote with its conversation in one transaction, then reveals.
    /// If the write fails nothing is revealed and the judge can vote again.
    pub async fn vote(self, winner: Winner, store: Rc<IdbStore>) -> Option<VoteRecord> {
        let mut battle = self.battle.get_untracked()?;
        let judge = judge_id(&store).await;
        let record = match battle.vote(
            winner,
            &judge,
            js_sys::Date::now() / 1000.0,
            env!("CARGO_PKG_VERSION"),
        ) {
            Ok(r) => r,
            Err(e) => {
                self.error.set(Some(e.to_string()));
                return None;
            }
        };
        self.saving.set(true);
        let conv = battle.to_conversation(js_sys::Date::now());
        let written = store.record_vote(&record, Some(&conv)).await;
        if !self.alive() {
            // The page is gone; the vote (if written) is stored all the same.
            return written.ok().map(|_| record);
        }
        self.saving.set(false);
        match written {
            Ok(_) => {
                let _ = store.put_setting(CURRENT, &serde_json::Value::Null).await;
                if self.alive() {
                    self.error.set(None);
                    self.battle.set(Some(battle));
                }
                Some(record)
            }
            Err(e) => {
                self.error.set(Some(format!("The vote was not saved: {e}")));
                None
            }
        }
    }

    /// Tags the battle's category (before the vote).
    pub fn set_category(self, category: Option<String>) {
        self.battle.update(|b| {
            if let Some(b) = b
                && b.vote.is_none()
            {
                b.category = category;
            }
        });
    }

    /// Drops the current battle (aborting its requests) so the next prompt starts a new one.
    pub fn new_round(self, store: Rc<IdbStore>) {
        self.abort_all();
        self.set_loading(None, None);
        self.battle.set(None);
        self.error.set(None);
        spawn_local(async move {
            let _ = store.put_setting(CURRENT, &serde_json::Value::Null).await;
        });
    }
}

fn side_index(side: Side) -> usize {
    usize::from(side != Side::A)
}

fn fighter(c: &Contestant) -> Fighter {
    Fighter {
        id: c.id.clone(),
        name: c.name.clone(),
        // The contestant id names the model in vote records: unique within the arena even
        // when two contestants share a provider model with different settings.
        model: c.id.clone(),
    }
}

/// Draws two contestants by the config's weights, or by efficient pairing from the ratings
/// of the votes stored so far, which the data worker computes off the main thread.
async fn pick(
    config: &ArenaConfig,
    worker: Option<DataWorker>,
) -> Result<(&Contestant, &Contestant), String> {
    let mut pairing = if config.efficient_pairing {
        Pairing::Efficient
    } else {
        Pairing::Weighted
    };
    let mut ratings = Vec::new();
    if pairing == Pairing::Efficient {
        match worker {
            Some(w) => match w.ratings().await {
                Ok(rows) => ratings = rows,
                // FALLBACK: the worker could not answer (failed to start, crashed, storage
                // unavailable, or slower than `RATINGS_TIMEOUT`): draw by weight rather than
                // hold up the battle.
                Err(_) => pairing = Pairing::Weighted,
            },
            // FALLBACK: no worker in this context: draw by weight.
            None => pairing = Pairing::Weighted,
        }
    }
    let candidates: Vec<Candidate> = config
        .contestants
        .iter()
        .map(|c| Candidate {
            weight: c.weight,
            rating: ratings
                .iter()
                .find(|r| r.model == c.id)
                .and_then(known_rating),
        })
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(crate::browser::random::seed());
    let (i, j) = pick_pair(&candidates, pairing, &mut rng).ok_or_else(|| {
        "This arena needs at least two contestants with a weight above zero. Add them on the \
         Models page or in arena.json."
            .to_string()
    })?;
    Ok((&config.contestants[i], &config.contestants[j]))
}

/// This browser's pseudonymous judge id, created on first use.
async fn judge_id(store: &IdbStore) -> String {
    if let Ok(Some(serde_json::Value::String(id))) = store.setting(JUDGE).await {
        return id;
    }
    let id = format!("judge-{}", crate::browser::random::new_id());
    let _ = store
        .put_setting(JUDGE, &serde_json::Value::String(id.clone()))
        .await;
    id
}

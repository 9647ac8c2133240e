//! Browser tests (wasm-bindgen-test in headless Chromium): the IndexedDB store for real,
//! including a migration from the first schema version, and the hash router.

use arena_app::router::Page;
use arena_app::store::IdbStore;
use arena_core::store::{Conversation, DB_VERSION, Store, Written, stores};
use arena_core::{Message, VoteRecord, Winner};
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::Serialize;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random())
}

fn vote(id: &str, tstamp: f64, winner: Winner) -> VoteRecord {
    VoteRecord {
        id: id.into(),
        schema: Some(1),
        arena_id: "web-test".into(),
        question_id: format!("q-{id}"),
        model_a: "alpha".into(),
        model_b: "beta".into(),
        winner,
        judge: "judge-1".into(),
        conversation_a: vec![Message::user("2+2?"), Message::assistant("4 — **sure**")],
        conversation_b: vec![Message::user("2+2?"), Message::assistant("四")],
        turn: 1,
        anony: true,
        language: "English".into(),
        tstamp,
        conv_metadata: Some(
            serde_json::json!({"sum_assistant_a_tokens": 3, "nested": {"n": null}}),
        ),
        dedup_tag: None,
        category_tag: None,
        categories: vec!["math".into()],
        flags: vec![],
        app_version: "0.1.0".into(),
    }
}

#[wasm_bindgen_test]
async fn votes_round_trip_exactly_and_are_written_once() {
    let store = IdbStore::open(&unique("rt")).await.unwrap();
    let conv = Conversation {
        id: "v2".into(),
        contestant_a: "alpha".into(),
        contestant_b: "beta".into(),
        messages_a: vec![Message::user("2+2?")],
        messages_b: vec![Message::user("2+2?")],
        updated_ms: 1.0,
        voted: false,
    };
    store.put_conversation(&conv).await.unwrap();
    let later = vote("v2", 200.5, Winner::TieBothBad);
    let earlier = vote("v1", 100.25, Winner::ModelA);
    assert_eq!(
        store.record_vote(&later, Some(&conv)).await.unwrap(),
        Written::New
    );
    assert_eq!(
        store.record_vote(&earlier, None).await.unwrap(),
        Written::New
    );

    // Same id again: reported, and the stored vote is not rewritten.
    let mut rewritten = earlier.clone();
    rewritten.winner = Winner::ModelB;
    assert_eq!(
        store.record_vote(&rewritten, None).await.unwrap(),
        Written::Duplicate
    );

    assert_eq!(store.vote_count().await.unwrap(), 2);
    let all = store.votes().await.unwrap();
    assert_eq!(
        all,
        vec![earlier.clone(), later.clone()],
        "oldest first, exact round trip"
    );
    assert_eq!(store.vote("v1").await.unwrap(), Some(earlier));
    assert_eq!(store.vote("missing").await.unwrap(), None);
    assert!(store.conversation("v2").await.unwrap().unwrap().voted);
}

#[wasm_bindgen_test]
async fn settings_and_secrets_are_separate_and_exact() {
    let store = IdbStore::open(&unique("kv")).await.unwrap();
    let value = serde_json::json!({"n": 3, "f": 0.5, "none": null, "list": [1, "two"]});
    store.put_setting("prefs", &value).await.unwrap();
    assert_eq!(store.setting("prefs").await.unwrap(), Some(value));
    store.put_secret("openai", "sk-test-123").await.unwrap();
    assert_eq!(store.setting("openai").await.unwrap(), None);
    assert_eq!(
        store.secret("openai").await.unwrap().as_deref(),
        Some("sk-test-123")
    );
    store.delete_secret("openai").await.unwrap();
    assert_eq!(store.secret("openai").await.unwrap(), None);
}

/// The first release's layout: votes and settings only.
#[derive(Serialize)]
struct V1Vote {
    id: String,
    tstamp: f64,
    json: String,
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_migrated_without_losing_votes() {
    let name = unique("migrate");
    let old = vote("old-1", 5.0, Winner::Tie);
    {
        let db = Database::open(name.as_str())
            .with_version(1u32)
            .with_on_upgrade_needed(|_, db| {
                db.create_object_store(stores::VOTES)
                    .with_key_path("id".into())
                    .build()?;
                db.create_object_store(stores::SETTINGS).build()?;
                Ok(())
            })
            .await
            .unwrap();
        let tx = db
            .transaction(stores::VOTES)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .unwrap();
        tx.object_store(stores::VOTES)
            .unwrap()
            .put(V1Vote {
                id: old.id.clone(),
                tstamp: old.tstamp,
                json: serde_json::to_string(&old).unwrap(),
            })
            .serde()
            .unwrap()
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.object_store_names().count(), 2);
        db.close();
    }

    let store = IdbStore::open(&name).await.unwrap();
    assert!((store.version() - f64::from(DB_VERSION)).abs() < f64::EPSILON);
    let mut names = store.store_names();
    names.sort();
    assert_eq!(
        names,
        [
            "contestants",
            "conversations",
            "outbox",
            "prompts",
            "ratings",
            "secrets",
            "settings",
            "votes"
        ]
    );
    assert_eq!(store.votes().await.unwrap(), vec![old]);
    // Votes from before the sync queue existed are not queued; new ones are.
    assert_eq!(store.outbox_count().await.unwrap(), 0);
    let new = vote("new-1", 6.0, Winner::ModelA);
    store.record_vote(&new, None).await.unwrap();
    assert_eq!(store.outbox().await.unwrap(), vec![new]);
    // The new stores work after the upgrade.
    store.put_secret("anthropic", "k").await.unwrap();
    assert_eq!(
        store.secret("anthropic").await.unwrap().as_deref(),
        Some("k")
    );
}

#[wasm_bindgen_test]
async fn a_version_3_database_gets_its_ratings_store_filled_from_the_votes() {
    use arena_app::worker::cache::VoteCache;
    use arena_core::ratings::rows::RatingRows;
    let name = unique("migrate-v3");
    let mut votes: Vec<VoteRecord> = (0..120u32)
        .map(|i| {
            let mut v = vote(
                &format!("old-{i:03}"),
                f64::from(i % 40),
                Winner::ALL[(i % 4) as usize],
            );
            v.model_b = ["beta", "gamma", "delta"][(i % 3) as usize].into();
            v.categories = if i % 2 == 0 {
                vec!["math".into()]
            } else {
                vec![]
            };
            v
        })
        .collect();
    {
        // Version 3's layout, written as version 3 wrote it.
        let db = Database::open(name.as_str())
            .with_version(3u32)
            .with_on_upgrade_needed(|_, db| {
                for s in [
                    stores::VOTES,
                    stores::CONVERSATIONS,
                    stores::CONTESTANTS,
                    stores::PROMPTS,
                ] {
                    db.create_object_store(s)
                        .with_key_path("id".into())
                        .build()?;
                }
                for s in [stores::SETTINGS, stores::SECRETS, stores::OUTBOX] {
                    db.create_object_store(s).build()?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let tx = db
            .transaction(stores::VOTES)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .unwrap();
        let os = tx.object_store(stores::VOTES).unwrap();
        for v in &votes {
            os.put(V1Vote {
                id: v.id.clone(),
                tstamp: v.tstamp,
                json: serde_json::to_string(v).unwrap(),
            })
            .serde()
            .unwrap()
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        db.close();
    }
    // Two connections open at once (the page and a worker): the store is filled once.
    let (first, second) =
        futures_util::future::join(IdbStore::open(&name), IdbStore::open(&name)).await;
    let (store, other) = (first.unwrap(), second.unwrap());
    assert!(store.store_names().contains(&"ratings".to_string()));
    // Nothing lost, and the slim store equals a fresh build from the full one.
    votes.sort_by(|a, b| a.tstamp.total_cmp(&b.tstamp).then_with(|| a.id.cmp(&b.id)));
    assert_eq!(store.votes().await.unwrap(), votes);
    let (cache, _) = VoteCache::load(None, &store, &name).await.unwrap();
    assert_eq!(cache.rows.len(), votes.len(), "each vote once");
    let fresh = RatingRows::from_records(&votes, true);
    let opts = arena_core::ratings::LeaderboardOptions::default();
    for category in [None, Some("math")] {
        let mut o = opts.clone();
        o.filter.category = category.map(str::to_string);
        assert_eq!(
            arena_core::ratings::compute_leaderboard_rows(&cache.rows, &o),
            arena_core::ratings::compute_leaderboard_rows(&fresh, &o)
        );
    }
    assert_eq!(
        cache
            .ids
            .iter()
            .map(arena_core::ratings::packed::VoteId::text)
            .collect::<Vec<_>>(),
        votes.iter().map(|v| v.id.clone()).collect::<Vec<_>>()
    );
    // Opening again fills nothing twice; a new vote adds its own blob.
    drop(other);
    let again = IdbStore::open(&name).await.unwrap();
    assert_eq!(again.rating_keys().await.unwrap().len(), 1);
    again
        .record_vote(&vote("new-1", 99.0, Winner::ModelA), None)
        .await
        .unwrap();
    let (cache, _) = VoteCache::load(Some(cache), &again, &name).await.unwrap();
    assert_eq!(cache.rows.len(), votes.len() + 1);
}

#[wasm_bindgen_test]
async fn votes_cast_here_wait_in_the_sync_queue_until_acknowledged() {
    let store = IdbStore::open(&unique("outbox")).await.unwrap();
    let (late, early) = (
        vote("q-late", 20.0, Winner::ModelB),
        vote("q-early", 10.0, Winner::Tie),
    );
    store.record_vote(&late, None).await.unwrap();
    store.record_vote(&early, None).await.unwrap();
    // A duplicate write queues nothing twice; imported (or pulled) votes are never queued.
    assert_eq!(
        store.record_vote(&early, None).await.unwrap(),
        Written::Duplicate
    );
    store
        .import_votes(&[vote("pulled", 5.0, Winner::ModelA)])
        .await
        .unwrap();
    assert_eq!(
        store.outbox().await.unwrap(),
        vec![early.clone(), late.clone()]
    );
    assert_eq!(store.outbox_count().await.unwrap(), 2);
    store
        .dequeue(&["q-early".into(), "not-there".into()])
        .await
        .unwrap();
    assert_eq!(store.outbox().await.unwrap(), vec![late]);
    // Acknowledged votes stay stored, whole.
    assert_eq!(store.vote("q-early").await.unwrap(), Some(early));
    assert_eq!(store.vote_count().await.unwrap(), 3);
}

#[wasm_bindgen_test]
fn hash_routes_map_to_pages() {
    for (hash, page) in [
        ("", Page::Arena),
        ("#/", Page::Arena),
        ("#/leaderboard", Page::Leaderboard),
        ("#/side-by-side", Page::SideBySide),
        ("#/data?x=1", Page::Data),
        ("#/models/abc", Page::Models),
        ("#/nope", Page::NotFound),
    ] {
        assert_eq!(Page::from_hash(hash), page, "{hash}");
    }
    for p in Page::NAV {
        assert_eq!(Page::from_hash(p.href()), p);
    }
}

#[wasm_bindgen_test]
async fn prompt_sets_are_stored_replaced_and_deleted() {
    use arena_core::config::PromptSet;
    let store = IdbStore::open(&unique("prompts")).await.unwrap();
    let mut set = PromptSet {
        id: "mine".into(),
        name: "Mine".into(),
        category: Some("math".into()),
        prompts: vec!["1+1?".into()],
    };
    store.put_prompt_set(&set).await.unwrap();
    set.prompts.push("2+2?".into());
    store.put_prompt_set(&set).await.unwrap();
    assert_eq!(store.prompt_sets().await.unwrap(), vec![set]);
    store.delete_prompt_set("mine").await.unwrap();
    assert!(store.prompt_sets().await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn a_bulk_import_writes_new_votes_once_and_ids_records_that_have_none() {
    use arena_core::formats::pool::with_id;
    use arena_core::store::ImportReport;
    let store = IdbStore::open(&unique("import")).await.unwrap();
    store
        .record_vote(&vote("kept", 1.0, Winner::ModelA), None)
        .await
        .unwrap();
    let mut fastchat = vote("", 3.0, Winner::ModelB);
    fastchat.question_id = "fc-1".into();
    let batch: Vec<VoteRecord> = vec![
        // Already stored, with another verdict: left as it was.
        vote("kept", 1.0, Winner::Tie),
        vote("new-1", 2.0, Winner::Tie),
        vote("new-1", 2.0, Winner::Tie),
        fastchat.clone(),
    ];
    let report = store.import_votes(&batch).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 2,
            duplicates: 2
        }
    );
    let all = store.votes().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|v| v.id.as_str()).collect();
    let derived = with_id(fastchat.clone());
    assert_eq!(ids, ["kept", "new-1", derived.id.as_str()]);
    assert_eq!(
        all[0].winner,
        Winner::ModelA,
        "a stored vote is never rewritten"
    );
    assert_eq!(all[2], derived, "stored exactly, under its content id");
    // The same file again adds nothing.
    let again = store.import_votes(&batch).await.unwrap();
    assert_eq!(
        again,
        ImportReport {
            added: 0,
            duplicates: 4
        }
    );
    assert_eq!(store.vote_count().await.unwrap(), 3);
    // A large batch goes through in one transaction.
    let many: Vec<VoteRecord> = (0..2_000)
        .map(|i| vote(&format!("bulk-{i}"), 10.0 + f64::from(i), Winner::ModelA))
        .collect();
    let r = store.import_votes(&many).await.unwrap();
    assert_eq!(r.added, 2_000);
    assert_eq!(store.vote_count().await.unwrap(), 2_003);
}

#[wasm_bindgen_test]
fn plot_ticks_are_round_and_cover_the_data() {
    use arena_app::components::leaderboard::chart::{Scale, shade, ticks};
    let (t, lo, hi) = ticks(873.2, 1161.9, 6);
    assert_eq!(
        t,
        [850.0, 900.0, 950.0, 1000.0, 1050.0, 1100.0, 1150.0, 1200.0]
    );
    assert!((lo - 850.0).abs() < 1e-9 && (hi - 1200.0).abs() < 1e-9);
    // A single value still gets an axis.
    let (t, lo, hi) = ticks(1000.0, 1000.0, 4);
    assert!(lo < 1000.0 && hi > 1000.0 && t.len() >= 2);
    let s = Scale {
        d0: lo,
        d1: hi,
        r0: 0.0,
        r1: 100.0,
    };
    assert!((s.at(lo) - 0.0).abs() < 1e-9 && (s.at(hi) - 100.0).abs() < 1e-9);
    // Cells near the centre are faint, the ends strong but never opaque.
    assert!(shade(0.5, 0.5, 0.5) < shade(0.9, 0.5, 0.5));
    assert!((shade(0.1, 0.5, 0.5) - shade(0.9, 0.5, 0.5)).abs() < 1e-12);
    assert!(shade(1.0, 0.5, 0.5) < 0.7);
}

// ---- Models page: user contestants, keys, presets, failures ----

use std::cell::RefCell;
use std::rc::Rc;

use arena_app::contestants::{self, Failure, Update};
use arena_app::state::{KeyPlace, Keyring};
use arena_core::config::{ContestantForm, ProviderKind};
use arena_providers::{Endpoint, Preset};
use leptos::prelude::Owner;

fn user_contestant(id: &str, name: &str) -> arena_core::config::Contestant {
    ContestantForm {
        name: name.into(),
        provider: ProviderKind::OpenaiCompatible,
        preset: Some("groq".into()),
        model: "llama".into(),
        temperature: "0.3".into(),
        idle_timeout_secs: "5".into(),
        ..ContestantForm::default()
    }
    .validate(id)
    .unwrap()
}

#[wasm_bindgen_test]
async fn user_contestants_round_trip_in_indexeddb() {
    let store = IdbStore::open(&unique("contestants")).await.unwrap();
    assert!(store.contestants().await.unwrap().is_empty());
    let a = user_contestant("a", "A");
    let mut b = user_contestant("b", "B");
    store.put_contestant(&b).await.unwrap();
    store.put_contestant(&a).await.unwrap();
    b.name = "B edited".into();
    b.params.system_prompt = Some("Be brief — 简短".into());
    store.put_contestant(&b).await.unwrap();
    assert_eq!(store.contestants().await.unwrap(), vec![a.clone(), b]);
    store.delete_contestant("b").await.unwrap();
    store.delete_contestant("never-there").await.unwrap();
    assert_eq!(store.contestants().await.unwrap(), vec![a]);
}

#[wasm_bindgen_test]
async fn the_keyring_reads_memory_first_keeps_one_copy_and_forgets() {
    let owner = Owner::new();
    owner.set();
    let store = IdbStore::open(&unique("keys")).await.unwrap();
    let keys = Keyring::new();
    assert_eq!(keys.key(&store, "openai").await, None);
    assert_eq!(keys.place(&store, "openai").await, None);

    keys.set(&store, "openai", "  sk-saved  ", KeyPlace::Saved)
        .await
        .unwrap();
    assert_eq!(
        keys.key(&store, "openai").await.as_deref(),
        Some("sk-saved")
    );
    assert_eq!(keys.place(&store, "openai").await, Some(KeyPlace::Saved));
    assert_eq!(
        store.secret("openai").await.unwrap().as_deref(),
        Some("sk-saved")
    );

    // Session only: memory wins and the saved copy is removed.
    keys.set(&store, "openai", "sk-session", KeyPlace::Session)
        .await
        .unwrap();
    assert_eq!(
        keys.key(&store, "openai").await.as_deref(),
        Some("sk-session")
    );
    assert_eq!(keys.place(&store, "openai").await, Some(KeyPlace::Session));
    assert_eq!(store.secret("openai").await.unwrap(), None);
    // A fresh keyring (a reload) has no session keys.
    assert_eq!(Keyring::new().key(&store, "openai").await, None);

    // Other providers are untouched; bad input is refused in words.
    assert_eq!(keys.key(&store, "anthropic").await, None);
    assert_eq!(
        keys.set(&store, "anthropic", "   ", KeyPlace::Saved)
            .await
            .unwrap_err()
            .to_string(),
        "Type or paste the key first."
    );
    assert!(
        keys.set(&store, "anthropic", "sk a", KeyPlace::Saved)
            .await
            .is_err()
    );

    keys.set(&store, "openai", "sk-saved-again", KeyPlace::Saved)
        .await
        .unwrap();
    keys.forget(&store, "openai").await.unwrap();
    assert_eq!(keys.key(&store, "openai").await, None);
    assert_eq!(store.secret("openai").await.unwrap(), None);
    drop(owner);
}

#[wasm_bindgen_test]
fn every_preset_survives_the_config_round_trip() {
    for p in Preset::ALL {
        let (provider, preset) = contestants::kind_of(p);
        let c = ContestantForm {
            name: "x".into(),
            provider,
            preset,
            model: "m".into(),
            ..ContestantForm::default()
        }
        .validate("x")
        .unwrap();
        assert_eq!(contestants::preset_of(&c), Some(p), "{p:?}");
        assert_eq!(contestants::key_name(&c).as_deref(), Some(p.id()));
    }
}

#[wasm_bindgen_test]
fn a_key_is_scoped_to_the_address_it_was_given_for() {
    use arena_providers::Preset;
    // The preset's own address (with or without a path) shares the preset's key…
    assert_eq!(contestants::key_name_for(Preset::OpenAi, None), "openai");
    assert_eq!(
        contestants::key_name_for(Preset::OpenAi, Some("https://API.openai.com/v1/")),
        "openai"
    );
    // …another host gets a key of its own, so an arena.json cannot redirect the OpenAI key.
    let elsewhere = contestants::key_name_for(Preset::OpenAi, Some("https://evil.example/v1"));
    assert_eq!(elsewhere, "openai@https://evil.example");
    assert_eq!(
        contestants::key_label(&elsewhere),
        "OpenAI at https://evil.example"
    );
    assert_eq!(
        contestants::key_name_for(Preset::Anthropic, Some("http://127.0.0.1:9000")),
        "anthropic@http://127.0.0.1:9000"
    );
}

#[wasm_bindgen_test]
fn a_blind_failure_keeps_the_message_but_not_the_provider_fix() {
    let origin = "https://arena.example";
    for preset in [Preset::Ollama, Preset::LmStudio, Preset::Anthropic] {
        let e = Endpoint::new(preset).network_error(Some("Failed to fetch"), Some(origin));
        let full = Failure::from_provider(&e);
        let blind = full.anonymous();
        assert_eq!(blind.message, full.message);
        assert_eq!(blind.kind, "network");
        assert_ne!(blind.hint, full.hint, "{preset:?}");
        for giveaway in [
            "OLLAMA_ORIGINS",
            "Ollama",
            "LM Studio",
            "Anthropic",
            "anthropic-",
            "lms ",
        ] {
            assert!(
                !blind.sentence().contains(giveaway),
                "{preset:?}: {}",
                blind.sentence()
            );
        }
    }
    let ollama =
        Failure::from_provider(&Endpoint::new(Preset::Ollama).network_error(None, Some(origin)));
    assert!(
        ollama
            .sentence()
            .contains("OLLAMA_ORIGINS=https://arena.example")
    );
}

/// Waits for the next animation frame (and the one after, so callbacks queued in it ran).
async fn next_frames() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            });
            web_sys::window()
                .unwrap()
                .request_animation_frame(cb.unchecked_ref())
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
}

use wasm_bindgen::JsCast;

#[wasm_bindgen_test]
async fn text_is_handed_on_once_per_frame_and_the_end_flushes_at_once() {
    let seen = Rc::new(RefCell::new(Vec::<Update>::new()));
    let sink = seen.clone();
    let (batched, _cancel) = contestants::per_frame(Rc::new(move |u| sink.borrow_mut().push(u)));
    for t in ["He", "llo", ", ", "wörld"] {
        batched(Update::Text(t.into()));
    }
    assert!(seen.borrow().is_empty(), "nothing before the frame");
    next_frames().await;
    assert_eq!(*seen.borrow(), vec![Update::Text("Hello, wörld".into())]);

    batched(Update::Text("!".into()));
    batched(Update::Done(Some("stop".into())));
    assert_eq!(
        seen.borrow()[1..],
        [Update::Text("!".into()), Update::Done(Some("stop".into()))],
        "the end hands on what is pending first, without waiting"
    );
    next_frames().await;
    assert_eq!(seen.borrow().len(), 3, "the queued frame adds nothing");

    // After an abort, pending text is dropped.
    let seen = Rc::new(RefCell::new(Vec::<Update>::new()));
    let sink = seen.clone();
    let (batched, cancel) = contestants::per_frame(Rc::new(move |u| sink.borrow_mut().push(u)));
    batched(Update::Text("late".into()));
    cancel();
    next_frames().await;
    assert!(seen.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn the_worker_vote_cache_reads_only_new_votes_and_equals_a_fresh_read() {
    use arena_app::worker::cache::{COMPACT_AFTER, Loaded, VoteCache, merge_blobs};
    let db = unique("cache");
    let store = IdbStore::open(&db).await.unwrap();
    for (id, t) in [("v-b", 20.0), ("v-a", 10.0), ("v-c", 30.0)] {
        store
            .record_vote(&vote(id, t, Winner::ModelA), None)
            .await
            .unwrap();
    }
    let (cache, how) = VoteCache::load(None, &store, &db).await.unwrap();
    assert_eq!(how, Loaded::All);
    let ids = |c: &VoteCache| {
        c.ids
            .iter()
            .map(arena_core::ratings::packed::VoteId::text)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&cache), ["v-a", "v-b", "v-c"]);
    assert_eq!(cache.rows.len(), 3);
    assert_eq!(
        cache.rows.style.len(),
        3,
        "style counts kept for style control"
    );

    // Two new votes, one older than all the others and one tied in time with v-b.
    store
        .record_vote(&vote("v-0", 5.0, Winner::Tie), None)
        .await
        .unwrap();
    store
        .record_vote(&vote("v-bb", 20.0, Winner::ModelB), None)
        .await
        .unwrap();
    let (cache, how) = VoteCache::load(Some(cache), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::New(2));
    let (fresh, _) = VoteCache::load(None, &store, &db).await.unwrap();
    assert_eq!(ids(&cache), ["v-0", "v-a", "v-b", "v-bb", "v-c"]);
    assert_eq!(cache.resolved(), fresh.resolved());
    assert_eq!(cache.rows.style, fresh.rows.style);
    let opts = arena_core::ratings::LeaderboardOptions::default();
    assert_eq!(
        arena_core::ratings::compute_leaderboard_rows(&cache.rows, &opts),
        arena_core::ratings::compute_leaderboard_rows(&fresh.rows, &opts)
    );

    let (cache, how) = VoteCache::load(Some(cache), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::New(0));

    // An import is one blob, read alone; this one is over 64 KiB, so it is stored as a `Blob`.
    let many: Vec<VoteRecord> = (0..2000)
        .map(|i| vote(&format!("m-{i:04}"), 100.0 + f64::from(i), Winner::ModelA))
        .collect();
    store.import_votes(&many).await.unwrap();
    let (cache, how) = VoteCache::load(Some(cache), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::New(1));
    assert_eq!(cache.rows.len(), 2005);

    // One blob per vote until a reader merges them; a reader that read the small blobs
    // before the merge reads afresh once, and every reader agrees.
    for i in 0..COMPACT_AFTER {
        let v = vote(&format!("z-{i:03}"), 50.0, Winner::Tie);
        store.record_vote(&v, None).await.unwrap();
    }
    let (mut cache, how) = VoteCache::load(Some(cache), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::New(COMPACT_AFTER));
    let (stale, _) = VoteCache::load(None, &store, &db).await.unwrap();
    let replaced = cache.compaction().expect("more blobs than COMPACT_AFTER");
    // The small blobs (one vote each) are merged; the import's large one stays as it is.
    assert_eq!(replaced.len(), 5 + COMPACT_AFTER);
    let key = merge_blobs(&store, &replaced).await.unwrap().unwrap();
    cache.compacted(&replaced, key);
    assert_eq!(cache.blobs(), 2);
    assert_eq!(store.rating_keys().await.unwrap().len(), 2);
    assert!(cache.compaction().is_none());
    let (fresh, _) = VoteCache::load(None, &store, &db).await.unwrap();
    let (stale, how) = VoteCache::load(Some(stale), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::All);
    let (cache, how) = VoteCache::load(Some(cache), &store, &db).await.unwrap();
    assert_eq!(how, Loaded::New(0));
    assert_eq!(cache.rows.len(), 2005 + COMPACT_AFTER);
    assert_eq!(cache.resolved(), fresh.resolved());
    assert_eq!(stale.resolved(), fresh.resolved());
    assert_eq!(
        arena_core::ratings::compute_leaderboard_rows(&cache.rows, &opts),
        arena_core::ratings::compute_leaderboard_rows(&fresh.rows, &opts)
    );
    // Another database starts afresh.
    let other = unique("cache-other");
    let other_store = IdbStore::open(&other).await.unwrap();
    let (empty, how) = VoteCache::load(Some(cache), &other_store, &other)
        .await
        .unwrap();
    assert_eq!((how, empty.rows.len()), (Loaded::All, 0));
}

#[wasm_bindgen_test]
async fn a_worker_that_cannot_load_reports_its_failure() {
    // The test runner serves no worker script, so loading it fails. The failure must reach
    // `on_failure`, or whoever waits for the worker waits until a time limit instead of
    // falling back at once; an exception thrown while handling it ends the test too, with its
    // message. (The runner wraps workers, so here the failure arrives as an `ErrorEvent`; a
    // real page gets a plain `Event`, which tests/e2e/specs/pairing.test.mjs covers.)
    type Outcome = Result<String, String>;
    let (tx, rx) = futures_channel::oneshot::channel::<Outcome>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let settle = move |tx: &Rc<RefCell<Option<futures_channel::oneshot::Sender<Outcome>>>>,
                       outcome: Outcome| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(outcome);
        }
    };
    let on_throw = {
        let tx = tx.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(
            move |e: web_sys::ErrorEvent| settle(&tx, Err(e.message())),
        )
    };
    let window = web_sys::window().unwrap();
    window
        .add_event_listener_with_callback("error", on_throw.as_ref().unchecked_ref())
        .unwrap();
    let _client =
        arena_app::worker::WorkerClient::spawn(|_| {}, move |message| settle(&tx, Ok(message)))
            .unwrap();
    let outcome = rx.await.expect("an outcome");
    window
        .remove_event_listener_with_callback("error", on_throw.as_ref().unchecked_ref())
        .unwrap();
    let message = outcome.expect("the failure is reported, not thrown");
    assert!(
        message.starts_with("The background worker could not be loaded")
            || message.starts_with("The background worker failed"),
        "{message}"
    );
}

//! Add or edit one of the judge's own contestants. The form's rules are
//! `arena_core::config::ContestantForm`'s; this only binds fields and runs the model list.

use arena_core::config::{ContestantForm, FieldError, new_contestant_id};
use arena_core::store::Store;
use arena_providers::{ApiKey, Endpoint, ModelInfo, Preset};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::presets;
use crate::contestants::{self, Failure};
use crate::state::{use_config_parts, use_keyring, use_store};

/// What the editor starts from: a new contestant or one to change (`id` set).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: Option<String>,
    pub preset: Preset,
    pub form: ContestantForm,
}

impl Draft {
    /// A new contestant for `preset`, at the preset's default address.
    pub fn new(preset: Preset) -> Draft {
        let (provider, preset_id) = contestants::kind_of(preset);
        Draft {
            id: None,
            preset,
            form: ContestantForm {
                provider,
                preset: preset_id,
                base_url: preset.info().default_base_url.to_string(),
                ..ContestantForm::default()
            },
        }
    }

    /// The editor for a stored contestant.
    pub fn edit(c: &arena_core::config::Contestant) -> Draft {
        let preset = contestants::preset_of(c).unwrap_or(Preset::OpenAi);
        let mut form = ContestantForm::from_contestant(c);
        if form.base_url.is_empty() {
            form.base_url = preset.info().default_base_url.to_string();
        }
        Draft {
            id: Some(c.id.clone()),
            preset,
            form,
        }
    }
}

type ModelList = Option<Result<Vec<ModelInfo>, Failure>>;

// One form, one `view!`: the markup reads best in one place.
#[allow(clippy::too_many_lines)]
#[component]
pub fn ContestantEditor(
    draft: Draft,
    /// Ids already in use (the config's and the judge's).
    taken: Vec<String>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let store = use_store();
    let keyring = use_keyring();
    let parts = use_config_parts();
    let editing_id = draft.id.clone();
    let preset = RwSignal::new(draft.preset);
    let form = RwSignal::new(draft.form);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saving = RwSignal::new(false);
    let models = RwSignal::new(None::<ModelList>);

    let set_preset = move |id: String| {
        let Some(p) = Preset::from_id(&id) else {
            return;
        };
        let old = preset.get_untracked();
        preset.set(p);
        models.set(None);
        form.update(|f| {
            let (provider, preset_id) = contestants::kind_of(p);
            f.provider = provider;
            f.preset = preset_id;
            // Follow the preset's address unless the judge typed their own.
            let typed = f.base_url.trim().trim_end_matches('/');
            if typed.is_empty() || typed == old.info().default_base_url {
                f.base_url = p.info().default_base_url.to_string();
            }
        });
    };

    // Whether the chosen provider needs a key that is not set yet.
    let missing_key = LocalResource::new(move || {
        let p = preset.get();
        let name = contestants::key_name_for(p, Some(&form.with(|f| f.base_url.clone())));
        keyring.changed.track();
        async move {
            if !p.info().needs_key {
                return false;
            }
            match store.await {
                Ok(s) => keyring.key(s.as_ref(), &name).await.is_none(),
                Err(_) => true,
            }
        }
    });

    let load_models = move |_| {
        let Some(Ok(s)) = store.get_untracked() else {
            return;
        };
        let p = preset.get_untracked();
        let base = form.with_untracked(|f| f.base_url.clone());
        models.set(Some(None));
        spawn_local(async move {
            let asked = base.clone();
            let mut ep = Endpoint::new(p);
            if !base.trim().is_empty() {
                ep = ep.with_base_url(base);
            }
            if let Some(k) = keyring
                .key(s.as_ref(), &contestants::key_name_for(p, Some(&asked)))
                .await
            {
                ep = ep.with_api_key(ApiKey::new(k));
            }
            let list = contestants::list_models(&ep).await;
            // A list for another provider or address (changed while loading) is dropped.
            let still = preset.get_untracked() == p && form.with_untracked(|f| f.base_url == asked);
            if still {
                models.set(Some(Some(list)));
            }
        });
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(s)) = store.get_untracked() else {
            errors.set(vec![FieldError {
                field: "form",
                message: "Storage is not open; the contestant cannot be saved.".into(),
            }]);
            return;
        };
        let f = form.get_untracked();
        let id = editing_id
            .clone()
            .unwrap_or_else(|| new_contestant_id(&f.name, taken.iter().map(String::as_str)));
        match f.validate(&id) {
            Err(e) => errors.set(e),
            Ok(c) => {
                errors.set(Vec::new());
                saving.set(true);
                spawn_local(async move {
                    let written = s.put_contestant(&c).await;
                    saving.set(false);
                    match written {
                        Ok(()) => {
                            parts.reload_user();
                            on_done.run(());
                        }
                        Err(e) => errors.set(vec![FieldError {
                            field: "form",
                            message: format!("The contestant was not saved: {e}"),
                        }]),
                    }
                });
            }
        }
    };

    let error_for = move |field: &'static str| {
        move || {
            errors.with(|e| {
                e.iter().find(|e| e.field == field).map(|e| {
                    view! { <span class="field-error" data-testid="field-error" data-field=field>{e.message.clone()}</span> }
                })
            })
        }
    };
    // A text input bound to one field of the form.
    macro_rules! bind {
        ($field:ident) => {
            (
                move || form.with(|f| f.$field.clone()),
                move |ev| form.update(|f| f.$field = event_target_value(&ev)),
            )
        };
    }
    let (name_v, name_in) = bind!(name);
    let (base_v, base_in) = bind!(base_url);
    let (model_v, model_in) = bind!(model);
    let (temp_v, temp_in) = bind!(temperature);
    let (max_v, max_in) = bind!(max_tokens);
    let (sys_v, sys_in) = bind!(system_prompt);
    let (weight_v, weight_in) = bind!(weight);
    let (idle_v, idle_in) = bind!(idle_timeout_secs);
    let title = if draft.id.is_some() {
        "Edit contestant"
    } else {
        "Add a contestant"
    };

    view! {
        <form class="card editor" data-testid="contestant-form" on:submit=save novalidate=true>
            <h2>{title}</h2>
            {error_for("form")}
            <div class="form-grid">
                <label class="field">
                    <span>"Name"</span>
                    <input data-testid="contestant-name" placeholder="Shown after the vote"
                        prop:value=name_v on:input=name_in />
                    {error_for("name")}
                </label>
                <label class="field">
                    <span>"Provider"</span>
                    <select data-testid="preset-select" prop:value=move || preset.get().id()
                        on:change=move |ev| set_preset(event_target_value(&ev))>
                        {presets().map(|(p, label)| view! { <option value=p.id()>{label}</option> }).collect_view()}
                    </select>
                    {error_for("provider")}
                </label>
                <label class="field wide">
                    <span>"Base URL"</span>
                    <input data-testid="base-url-input" spellcheck="false" inputmode="url"
                        placeholder=move || preset.get().info().default_base_url
                        prop:value=base_v on:input=move |ev| { models.set(None); base_in(ev) } />
                    {error_for("base_url")}
                </label>
                <div class="field wide">
                    <label for="model-input">"Model"</label>
                    <div class="model-row">
                        <input id="model-input" data-testid="model-input" spellcheck="false"
                            placeholder="Type the model id, or load the provider's list"
                            prop:value=model_v on:input=model_in />
                        <button type="button" class="button" data-testid="load-models"
                            disabled=move || matches!(models.get(), Some(None))
                            on:click=load_models>
                            {move || if matches!(models.get(), Some(None)) { "Loading…" } else { "Load models" }}
                        </button>
                    </div>
                    {move || match models.get() {
                        Some(Some(Ok(list))) if list.is_empty() => Some(view! {
                            <p class="muted" data-testid="models-status">"The provider lists no models; type the id."</p>
                        }.into_any()),
                        Some(Some(Ok(list))) => {
                            let n = list.len();
                            Some(view! {
                                <select data-testid="model-select" aria-label="Models the provider lists"
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        if !v.is_empty() {
                                            form.update(|f| f.model = v);
                                        }
                                    }>
                                    <option value="">{format!("Pick one of {n} models…")}</option>
                                    {list.into_iter().map(|m| {
                                        let label = match &m.name {
                                            Some(n) if *n != m.id => format!("{n} ({})", m.id),
                                            _ => m.id.clone(),
                                        };
                                        view! { <option value=m.id>{label}</option> }
                                    }).collect_view()}
                                </select>
                            }.into_any())
                        }
                        Some(Some(Err(f))) => Some(view! {
                            <div class="check-result failed" data-testid="models-status" data-kind=f.kind.clone() role="alert">
                                <strong>{f.message}</strong>
                                <span class="hint">{f.hint}</span>
                            </div>
                        }.into_any()),
                        _ => None,
                    }}
                    {error_for("model")}
                </div>
                <label class="field">
                    <span>"Temperature"</span>
                    <input data-testid="temperature-input" inputmode="decimal" placeholder="provider default"
                        prop:value=temp_v on:input=temp_in />
                    {error_for("temperature")}
                </label>
                <label class="field">
                    <span>"Max tokens"</span>
                    <input data-testid="max-tokens-input" inputmode="numeric" placeholder="provider default"
                        prop:value=max_v on:input=max_in />
                    {error_for("max_tokens")}
                </label>
                <label class="field">
                    <span>"Sampling weight"</span>
                    <input data-testid="weight-input" inputmode="decimal"
                        prop:value=weight_v on:input=weight_in />
                    {error_for("weight")}
                </label>
                <label class="field">
                    <span>"Idle timeout (s)"</span>
                    <input data-testid="idle-timeout-input" inputmode="numeric" placeholder="provider default"
                        prop:value=idle_v on:input=idle_in />
                    {error_for("idle_timeout_secs")}
                </label>
                <label class="field wide">
                    <span>"System prompt"</span>
                    <textarea data-testid="system-prompt-input" rows="3" placeholder="none"
                        prop:value=sys_v on:input=sys_in></textarea>
                </label>
            </div>
            <Suspense fallback=|| ()>
                {move || missing_key.get().filter(|m| *m).map(|_| view! {
                    <p class="notice notice-info" data-testid="key-missing">
                        {format!("{} needs an API key: add it under API keys below before testing or battling.",
                            preset.get().info().label)}
                    </p>
                })}
            </Suspense>
            <div class="form-actions">
                <button type="button" class="button" data-testid="cancel-edit"
                    on:click=move |_| on_done.run(())>"Cancel"</button>
                <button type="submit" class="button primary" data-testid="save-contestant"
                    disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save contestant" }}
                </button>
            </div>
        </form>
    }
}

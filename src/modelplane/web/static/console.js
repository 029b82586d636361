// modelplane console: progressive enhancement only. Every page works without this file.
"use strict";

(function () {
  const csrf = document.body.dataset.csrf || "";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Confirm dialog --------------------------------------------------------------------------
  function confirmThen(text, proceed) {
    const dialog = $("#confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(text)) proceed();
      return;
    }
    $("#confirm-text", dialog).textContent = text;
    dialog.returnValue = "";
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "ok") proceed();
    });
    dialog.showModal();
    $("#confirm-ok", dialog).focus();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const submitter = event.submitter;
    const text = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    confirmThen(text, () => {
      form.dataset.confirmed = "yes";
      if (submitter && submitter.name) {
        const carry = document.createElement("input");
        carry.type = "hidden";
        carry.name = submitter.name;
        carry.value = submitter.value;
        form.appendChild(carry);
      }
      form.submit();
    });
  });

  // Sliders with number inputs ------------------------------------------------------------------
  $$("input[type=range][data-sync]").forEach((range) => {
    const number = document.getElementById(range.dataset.sync);
    if (!number) return;
    range.addEventListener("input", () => {
      number.value = range.value;
      number.dispatchEvent(new Event("input", { bubbles: true }));
    });
    number.addEventListener("input", () => {
      if (number.value !== "") range.value = number.value;
    });
  });

  // Tier-weight matrix: live row sums ----------------------------------------------------------
  $$("[data-matrix] tr[data-row]").forEach((row) => {
    const output = $("output[data-sum]", row);
    const update = () => {
      let sum = 0;
      $$("input[data-weight]", row).forEach((input) => {
        sum += parseFloat(input.value) || 0;
      });
      const ok = Math.abs(sum - 1) <= 0.001;
      output.textContent = sum.toFixed(3) + (ok ? " ✓" : " ≠ 1");
      output.classList.toggle("bad", !ok);
      output.classList.toggle("good", ok);
    };
    row.addEventListener("input", update);
    update();
  });

  // Speed-bonus rules: add, remove, reorder -------------------------------------------------------
  function renumber(list) {
    const base = list.dataset.rules;
    $$("li[data-rule]", list).forEach((item, index) => {
      $$("[name], [id], label[for]", item).forEach((el) => {
        ["name", "id", "for"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/speedBonuses(\[|-)(\d+|__i__)/, (m, sep) => "speedBonuses" + sep + index));
        });
      });
    });
    list.dataset.base = base;
  }
  $$("ol[data-rules]").forEach((list) => {
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const item = button.closest("li[data-rule]");
      if (button.hasAttribute("data-rule-remove")) {
        const next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        if (next) $("button[data-rule-remove]", next).focus();
      } else if (button.hasAttribute("data-rule-up") && item.previousElementSibling) {
        item.parentNode.insertBefore(item, item.previousElementSibling);
        button.focus();
      } else if (button.hasAttribute("data-rule-down") && item.nextElementSibling) {
        item.parentNode.insertBefore(item.nextElementSibling, item);
        button.focus();
      } else {
        return;
      }
      renumber(list);
    });
  });
  $$("button[data-add-rule]").forEach((button) => {
    const key = button.dataset.addRule;
    const list = $(`ol[data-rules="${key}"]`);
    const template = $(`template[data-rule-template="${key}"]`);
    button.addEventListener("click", () => {
      const fragment = template.content.cloneNode(true);
      list.appendChild(fragment);
      renumber(list);
      const added = list.lastElementChild;
      const value = added && $("input", added);
      if (value) value.focus();
    });
  });

  // JSON fields, and the whole model form, validated as you type ----------------------------------------
  function showFieldError(container, messages) {
    if (!container) return;
    let slot = $(".field-error[data-live]", container);
    const old = $(".field-error:not([data-live])", container);
    if (old) old.remove();
    if (!slot) {
      slot = document.createElement("span");
      slot.className = "field-error";
      slot.dataset.live = "";
      slot.setAttribute("aria-live", "polite");
      container.appendChild(slot);
    }
    slot.textContent = messages.join("; ");
    container.classList.toggle("has-error", messages.length > 0);
    const control = $("input, select, textarea", container);
    if (control) control.setAttribute("aria-invalid", messages.length ? "true" : "false");
  }

  function jsonProblem(text, kind) {
    if (!text.trim()) return null;
    try {
      const value = JSON.parse(text);
      if (kind === "array") return Array.isArray(value) ? null : "must be a JSON list";
      if (value === null || typeof value !== "object" || Array.isArray(value)) return "must be a JSON object";
      return null;
    } catch (err) {
      return "not JSON: " + err.message;
    }
  }

  const modelForm = $("#model-form");
  if (modelForm && !modelForm.querySelector("fieldset[disabled]")) {
    const touched = new Set();
    let timer = null;
    const containers = $$("[data-path]", modelForm);
    const validate = async () => {
      const body = new FormData(modelForm);
      const response = await fetch(modelForm.dataset.validateUrl, {
        method: "POST", body, headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
      });
      if (!response.ok) return;
      const { errors } = await response.json();
      containers.forEach((container) => {
        const path = container.dataset.path;
        if (!touched.has(path)) return;
        const mine = errors.filter((e) => e.path === path || e.path.startsWith(path + ".") || e.path.startsWith(path + "["));
        const local = container.querySelector("textarea[data-json]");
        const syntax = local ? jsonProblem(local.value, local.dataset.json) : null;
        showFieldError(container, syntax ? [syntax] : mine.map((e) => e.message));
      });
    };
    modelForm.addEventListener("input", (event) => {
      const container = event.target.closest("[data-path]");
      if (!container) return;
      touched.add(container.dataset.path);
      const area = container.querySelector("textarea[data-json]");
      if (area) {
        const problem = jsonProblem(area.value, area.dataset.json);
        showFieldError(container, problem ? [problem] : []);
      }
      clearTimeout(timer);
      timer = setTimeout(validate, 350);
    });
  }

  // Profiles grid: colour scale and inline saves ------------------------------------------------------
  function colour(value) {
    const v = Math.max(0, Math.min(100, parseFloat(value)));
    return Number.isNaN(v) ? "" : `hsl(${Math.round(v * 1.2)} 70% 85%)`;
  }
  const grid = $("#profiles-grid");
  if (grid) {
    grid.addEventListener("input", (event) => {
      const cell = event.target.closest("[data-score-cell]");
      if (cell) cell.style.backgroundColor = colour(event.target.value);
      const row = event.target.closest("tr");
      if (row) {
        row.classList.add("dirty");
        const status = $("[data-row-status]", row);
        if (status) status.textContent = "unsaved";
      }
    });
    grid.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.matches("input")) {
        event.preventDefault();
        const form = document.getElementById(event.target.getAttribute("form"));
        if (form) form.requestSubmit();
      }
    });
  }
  const saving = new Map();  // profile id -> promise of this page's own save
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-profile-form")) return;
    event.preventDefault();
    const row = form.closest("tr");
    const status = $("[data-row-status]", row);
    const reason = $("#profiles-reason");
    if (reason && !reason.value.trim()) {
      status.textContent = "not saved: give a reason above";
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    if (reason) reason.removeAttribute("aria-invalid");
    const emptied = $$(`input[form="${CSS.escape(form.id)}"]`).filter(
      (input) => input.defaultValue !== "" && input.value.trim() === ""
    );
    const save = () => saveProfile(form, row, status, reason ? reason.value : "");
    if (!emptied.length) { save(); return; }
    const names = emptied.map((input) => input.dataset.label || input.name).join(", ");
    confirmThen(`Remove the ${names} score of ${row.dataset.profileId}? The router's default score applies instead.`, save);
  });
  async function saveProfile(form, row, status, reason) {
    status.textContent = "saving…";
    const body = new FormData(form);
    body.set("reason", reason);
    let done;
    saving.set(row.dataset.profileId, new Promise((resolve) => { done = resolve; }));
    const response = await fetch(form.action, {
      method: "POST", body, headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
    });
    const answer = await response.json().catch(() => ({}));
    saving.delete(row.dataset.profileId);
    done();
    if (response.ok) {
      $("input[name=expectedVersion]", form).value = answer.version;
      row.dataset.version = answer.version;
      row.classList.remove("dirty");
      $$(`input[form="${CSS.escape(form.id)}"]`).forEach((input) => { input.defaultValue = input.value; });
      status.textContent = `saved · v${answer.version}`;
    } else {
      const errors = (answer.errors || []).map((e) => (e.path ? e.path + ": " : "") + e.message);
      status.textContent = "not saved: " + (errors.join("; ") || response.statusText);
    }
  }

  // Models table: search as you type (the server filters; debounced) -------------------------------
  const search = $("form[data-search-as-you-type]");
  if (search) {
    const box = $("input[name=q]", search);
    let pending = null;
    box.addEventListener("input", () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        const params = new URLSearchParams(new FormData(search));
        params.delete("page");
        for (const [k, v] of Array.from(params.entries())) if (v === "") params.delete(k);
        window.location.assign(`${search.action}?${params}#q`);
      }, 400);
    });
    if (location.hash === "#q") { box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
  }

  // The sticky save bar never covers the field being edited ------------------------------------
  document.addEventListener("focusin", (event) => {
    const field = event.target;
    const bar = field.closest && field.closest("form") && $(".sticky-save", field.closest("form"));
    if (!bar || bar.contains(field) || getComputedStyle(bar).position !== "sticky") return;
    const a = field.getBoundingClientRect();
    const b = bar.getBoundingClientRect();
    if (a.bottom > b.top && a.top < b.bottom) window.scrollBy(0, a.bottom - b.top + 16);
  });

  // Model form: the cost effect of the prices as typed ---------------------------------------------
  const effect = $("#price-effect[data-price-effect-url]");
  if (effect) {
    const form = effect.closest("form");
    let timer = null;
    let asked = 0;
    form.addEventListener("input", (event) => {
      if (!event.target.name || !event.target.name.startsWith("pricing.")) return;
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++asked;
        const body = new FormData(form);
        body.set("modelId", effect.dataset.modelId || "");
        const response = await fetch(effect.dataset.priceEffectUrl, {
          method: "POST", body, headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
        });
        if (!response.ok || mine !== asked) return;
        const answer = await response.json();
        effect.textContent = answer.text;
      }, 250);
    });
  }

  // Rollout: percentage sliders (delegated: cards are swapped in live), unsaved-edit marks,
  // and the experiment form's JSON and weight checks ----------------------------------------------
  document.addEventListener("input", (event) => {
    const target = event.target;
    const card = target.closest && target.closest("[data-flag-card]");
    if (card && target.closest("form[method=post]")) card.classList.add("dirty");
    if (target.matches("input[type=range][data-pct-sync]")) {
      const number = document.getElementById(target.dataset.pctSync);
      if (number) number.value = target.value;
    } else if (card && target.matches("input[type=number][name=percentage]")) {
      const range = $("input[type=range][data-pct-sync]", card);
      if (range && target.value !== "") range.value = target.value;
    }
    if (target.matches("textarea[data-json-check]")) {
      const problem = jsonProblem(target.value);
      const container = target.closest(".field");
      showFieldError(container, problem ? [problem] : []);
    }
    if (target.matches("[data-variant-weight]")) showWeightSum();
  });
  function showWeightSum() {
    const out = $("output[data-weight-sum]");
    if (!out) return;
    const sum = $$("[data-variant-weight]").reduce((total, input) => total + (parseInt(input.value, 10) || 0), 0);
    out.textContent = `Weights sum to ${sum}` + (sum === 100 ? " ✓" : " (must be 100)");
  }
  showWeightSum();

  $$("[data-select-on-focus]").forEach((input) => input.addEventListener("focus", () => input.select()));

  // Live updates from the change stream -------------------------------------------------------
  const banner = $("#live-banner");
  function say(html) {
    if (!banner) return;
    banner.innerHTML = html;
    banner.hidden = false;
  }
  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  function modelUrl(id, suffix) {
    return "/admin/models/" + encodeURI(id) + suffix;
  }
  async function fragment(url) {
    const response = await fetch(url, { headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) return null;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    return template.content.firstElementChild;
  }

  const page = document.body.dataset.page;
  const outside = new Set();
  const handlers = {
    model: async (ids) => {
      if (page === "models") {
        for (const id of ids) {
          const row = document.querySelector(`tr[data-model-id="${CSS.escape(id)}"]`);
          if (!row) { outside.add(id); continue; }
          const fresh = await fragment(modelUrl(id, "/row"));
          if (fresh) { row.replaceWith(fresh); fresh.classList.add("flash"); }
        }
        if (outside.size) {
          say(`${outside.size} model${outside.size === 1 ? "" : "s"} outside this view changed or were added. <a href="${escapeHtml(location.pathname + location.search)}">Refresh the table</a>`);
        }
      }
      const live = $("#live-model");
      if (live && ids.includes(live.dataset.modelId)) {
        const response = await fetch(modelUrl(live.dataset.modelId, "/state"), { headers: { "X-Requested-With": "fetch" } });
        if (!response.ok) return;
        const state = await response.json();
        if (String(state.version) === live.dataset.version) return;
        const differing = [];
        const form = $("#model-form");
        if (form) {
          Object.entries(state.values).forEach(([path, value]) => {
            const control = form.querySelector(`[data-path="${CSS.escape(path)}"] input:not([type=checkbox]), [data-path="${CSS.escape(path)}"] textarea, [data-path="${CSS.escape(path)}"] select`);
            if (control && !Array.isArray(value) && control.value.trim() !== String(value).trim()) {
              differing.push(`<code>${escapeHtml(path)}</code> is now <code>${escapeHtml(String(value))}</code>`);
            }
          });
        }
        const what = differing.length ? ": " + differing.join(", ") : "";
        const action = live.dataset.mode === "history" ? "Reload to see the new version" : "Reload to edit the new version (your unsaved edits would be lost)";
        say(`This model was changed elsewhere and is now version ${state.version}${what}. <a href="${location.pathname}">${action}</a>.`);
      }
    },
    profile: async (ids) => {
      if (page !== "router-profiles") return;
      for (const id of ids) {
        if (saving.has(id)) await saving.get(id);  // our own save: wait for its answer
        const row = document.querySelector(`tr[data-profile-id="${CSS.escape(id)}"]`);
        if (!row) { say(`A profile was added elsewhere. <a href="${location.pathname}">Refresh</a>`); continue; }
        const fresh = await fragment(`/admin/auto-router/profiles/${encodeURI(id)}/row`);
        if (!fresh || fresh.dataset.version === row.dataset.version) continue;
        if (row.classList.contains("dirty")) { say(`The profile of ${escapeHtml(id)} changed elsewhere while you were editing it. <a href="${location.pathname}">Reload</a>`); continue; }
        row.replaceWith(fresh);
        fresh.classList.add("flash");
      }
    },
    router_config: async () => {
      const live = $("#live-config");
      if (page === "router-config" && live) {
        say(`The router config was changed elsewhere. <a href="${location.pathname}">Reload to see it</a> (your unsaved edits would be lost).`);
      } else if (page === "playground") {
        say(`The stored router config changed. <a href="${location.pathname}">Reload</a> to start from the new dials.`);
      }
    },
    flag: async (ids) => {
      if (page !== "rollout") return;
      for (const id of ids) {
        const card = document.querySelector(`[data-flag-card="${CSS.escape(id)}"]`);
        if (!card) { say(`The flag ${escapeHtml(id)} was added elsewhere. <a href="${location.pathname}">Reload</a>`); continue; }
        const fresh = await fragment(`/admin/rollout/flags/${encodeURIComponent(id)}/card`);
        if (!fresh || fresh.dataset.version === card.dataset.version) continue;
        if (card.classList.contains("dirty")) {
          say(`${escapeHtml(id)} was changed elsewhere (now version ${escapeHtml(fresh.dataset.version)}) while you were editing it. <a href="${location.pathname}#flag-${encodeURIComponent(id)}">Reload</a> (your unsaved edits would be lost).`);
          continue;
        }
        card.replaceWith(fresh);
        fresh.classList.add("flash");
        say(`${escapeHtml(id)} was changed elsewhere: its card now shows version ${escapeHtml(fresh.dataset.version)}.`);
      }
    },
    experiment: async () => {
      if (["experiments", "experiment"].includes(page)) {
        say(`An experiment was changed elsewhere. <a href="${location.pathname}">Reload</a>`);
      }
    },
    reload: async () => {
      if (["models", "router-profiles", "model-form", "history"].includes(page)) {
        say(`The catalogue was reloaded. <a href="${escapeHtml(location.pathname + location.search)}">Refresh</a>`);
      }
    },
  };

  if (page && window.EventSource) {
    const source = new EventSource("/api/v1/events");
    source.addEventListener("change", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (err) { return; }
      const handler = handlers[data.kind];
      if (handler) handler(data.ids || []);
    });
    source.addEventListener("hello", () => { document.body.dataset.live = "connected"; });
    window.addEventListener("pagehide", () => source.close());
  }

  // After a write: how many serving processes apply it, and how fast -----------------------
  const appliedBanner = $(".fleet-applied[data-applied]");
  if (appliedBanner) {
    const sequence = appliedBanner.dataset.applied;
    let tries = 0;
    const poll = async () => {
      tries += 1;
      let answer = null;
      try {
        const response = await fetch(`/admin/fleet/applied?sequence=${encodeURIComponent(sequence)}`, { headers: { "X-Requested-With": "fetch" } });
        if (response.ok) answer = await response.json();
      } catch (err) { answer = null; }
      if (answer && answer.total > 0) {
        const took = answer.ms === null ? "" : ` in ${answer.ms} ms`;
        appliedBanner.textContent = `Change ${answer.sequence}: applied by ${answer.applied} of ${answer.total} processes${took}.`;
        appliedBanner.dataset.appliedBy = String(answer.applied);
        appliedBanner.dataset.total = String(answer.total);
        if (answer.applied >= answer.total) return;
      }
      if (tries < 40) window.setTimeout(poll, 250);
    };
    poll();
  }
})();

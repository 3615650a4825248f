// Storekeeper offline steps: the multi-step scan forms, filled in on the phone while the server cannot be reached.
//
// Online, a stock flow (receive, put away, move, pick, issue, return), a count and an order pick send every scan to
// the server, which decides from what the scan IS (a place, a purchase order, an item) where it goes in the form
// (app/stock/scan_routes.py `_absorb`), and writes only when the form has all it needs. Offline that answer never
// comes, so this module gives it on the phone, with the same rules, from the places and purchase orders the phone
// fetched while online (/stock/offline-codes, kept in localStorage for the person signed in):
// - a scan of a known place (or purchase order on Receive) fills in the form and is NOT kept in the queue — except
//   a count's bin, which is also kept (with that bin held), because the count records which bins were visited;
// - anything else is the item: when the form then has all it needs, the offline queue keeps the form as it stands
//   (queue.js; the server reads everything again when it is replayed) and the form starts the next item as it
//   would online; when something is still missing, the phone says what to scan and keeps nothing. An item scanned
//   before its bin waits in the form's `held` field, which the server reads before `scan`.
// The check-out batch is collected on the phone too; only "Check out all" is kept. The server stays the
// authority: what no longer applies when replayed becomes a conflict (app/scanning/conflicts.py).
(function () {
  "use strict";
  var SK = (window.Storekeeper = window.Storekeeper || {});
  var KEY = "sk.offline-codes";
  var FRESH_MS = 60 * 1000; // a scan page opened online fetches the codes again after a minute
  var MAX_PAGES = 40; // × 500 places a page

  function currentUser() { return SK.currentUser ? SK.currentUser() : ""; } // queue.js, loaded first
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function has(obj, key) { return !!obj && Object.prototype.hasOwnProperty.call(obj, key); }

  // ---------------------------------------------------------------- the codes kept on this phone
  var codes = null; // {user, at, places: {CODE: {name, kind, parent}}, orders: {NUMBER: {supplier, status}}}
  function stored() {
    var user = currentUser();
    if (codes && codes.user === user) return codes;
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { kept = null; }
    codes = kept && kept.user === user && kept.places ? kept : null;
    return codes;
  }
  function place(code) { var c = stored(); return c && has(c.places, code) ? c.places[code] : null; }
  function order(code) { var c = stored(); return c && has(c.orders, code) ? c.orders[code] : null; }

  var loading = null;
  function refresh(force) {
    var form = document.querySelector("form[data-codes-url]");
    var user = currentUser();
    var have = stored();
    if (!form || !user || !navigator.onLine || (!force && have && Date.now() - have.at < FRESH_MS)) {
      show();
      return Promise.resolve(have);
    }
    if (loading) return loading;
    var got = { user: user, at: Date.now(), places: {}, orders: {} };
    var next = form.getAttribute("data-codes-url"), pages = 0;
    function page() {
      return fetch(next, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (resp) {
        if (!resp.ok || resp.redirected) throw new Error("offline codes: " + resp.status);
        return resp.json();
      }).then(function (body) {
        (body.places || []).forEach(function (p) { got.places[p.code] = { name: p.name, kind: p.kind, parent: p.parent }; });
        (body.purchase_orders || []).forEach(function (o) { got.orders[o.number] = { supplier: o.supplier, status: o.status }; });
        next = body.next;
        pages += 1;
        if (next && pages < MAX_PAGES) return page();
      });
    }
    loading = page().then(function () {
      codes = got;
      try { localStorage.setItem(KEY, JSON.stringify(got)); } catch (e) { /* storage full: kept in memory */ }
      return got;
    }, function () { return stored(); }).then(function (c) {
      loading = null;
      show();
      return c;
    });
    return loading;
  }
  function forget() {
    codes = null;
    try { localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
  }
  // What the phone can do without a connection, said where the scan forms are.
  function show() {
    var c = stored();
    Array.prototype.forEach.call(document.querySelectorAll("[data-offline-ready]"), function (p) {
      if (!c) { p.hidden = true; return; }
      var places = Object.keys(c.places).length;
      var form = p.closest("form");
      var receive = form && form.getAttribute("data-flow") === "receive";
      p.textContent = "Ready offline: this phone knows " + plural(places, "place") +
        (receive ? " and " + plural(Object.keys(c.orders).length, "open purchase order") : "") + ".";
      p.setAttribute("data-places", String(places));
      p.hidden = false;
    });
  }

  // ---------------------------------------------------------------- what a scan is
  // The code a scan would be looked up by on the server when it is one of our own (app/scanning/rules.py): a GTIN or
  // a GS1 element string is never a place or an order, so "" for those.
  var AIM = /^\][A-Za-z][0-9A-Za-z]/, AIM_GS1 = ["]C1", "]e0", "]d2", "]Q3", "]J1"];
  function ownCode(raw) {
    var text = String(raw || "").replace(/^[ \r\n\t]+|[ \r\n\t]+$/g, "");
    if (AIM.test(text)) {
      if (AIM_GS1.indexOf(text.slice(0, 3)) >= 0) return "";
      text = text.slice(3);
    }
    if (/^\d+$/.test(text) && [8, 12, 13, 14].indexOf(text.length) >= 0) return "";
    if (text.indexOf("\u001d") >= 0 || text.charAt(0) === "(" || /^(00\d{18}|0[12]\d{14})/.test(text)) return "";
    return text.toUpperCase();
  }
  function trimmed(value) { return String(value || "").trim(); }

  // ---------------------------------------------------------------- the page
  function field(form, name) {
    var el = form.elements.namedItem(name);
    return el && typeof el.value === "string" ? el : null;
  }
  function read(form, names) {
    var st = {};
    names.forEach(function (n) { var el = field(form, n); st[n] = el ? el.value.trim() : ""; });
    return st;
  }
  function write(form, st) {
    Object.keys(st).forEach(function (n) { var el = field(form, n); if (el && el.value !== st[n]) el.value = st[n]; });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function clearScan(form) {
    var input = form.querySelector("[data-scan-input]");
    if (input) input.value = "";
  }
  // What the scan did, where the server's answer would say it (or in the flash line for forms without one).
  // A scan that only filled in the form sounds like a success; one that needs something first, like a failure. (A
  // kept scan has already sounded "queued".)
  var KINDS = { ok: "msg-ok", warn: "msg-warn", error: "msg-error" };
  function tell(form, kind, text, outcome) {
    var box = form.querySelector(".outcome");
    if (!box) {
      if (SK.say) SK.say(text, kind);
    } else {
      box.textContent = "";
      box.appendChild(el("p", { "class": "msg " + KINDS[kind], role: kind === "error" ? "alert" : "status",
        "data-outcome": outcome || (kind === "error" ? "error" : "step") }, text));
    }
    if (SK.feedback && outcome !== "queued") SK.feedback(kind === "ok" ? "ok" : "error");
  }
  var NOT_KNOWN = " This phone does not know the places yet: open this page once while online.";

  // ---------------------------------------------------------------- stock flows (app/stock/scan_routes.py)
  var STOCK = ["item", "src", "dst", "po", "bin_first", "held", "lot", "expiry", "qty", "unit_cost", "reference"];
  var PAST = { receive: "Receive", put_away: "Put away", move: "Move", pick: "Pick", issue: "Issue",
    "return": "Return" };

  // `_absorb`: put a scan where it belongs in this flow. Returns {kind, note} or {kind: "refused", note}.
  function absorb(flow, st, raw) {
    var code = ownCode(raw);
    var po = code && order(code);
    var loc = code && place(code);
    var hasItem = !!(st.item || st.held);
    if (po && flow === "receive") {
      st.po = code;
      return { kind: "order", note: "Receiving against " + code };
    }
    if (po && !loc) return { kind: "refused", note: code + " is a purchase order; scan an item or a location here." };
    if (loc) {
      if (flow === "receive" || flow === "return") st.dst = code;
      else if (flow === "pick" || flow === "issue") st.src = code;
      else if (flow === "put_away") {
        if ((loc.kind === "dock" && !hasItem) || (hasItem && !st.src)) st.src = code;
        else { st.dst = code; st.bin_first = hasItem ? "" : "1"; }
      } else if (!st.src || !hasItem) st.src = code; // move
      else st.dst = code;
      return { kind: "place", note: code + " " + loc.name };
    }
    st.held = trimmed(raw);
    return { kind: "item", note: st.held };
  }
  function missingOf(form, st) {
    return (form.getAttribute("data-needs") || "").split(" ").filter(function (need) {
      return need && !(need === "item" ? st.item || st.held : st[need]);
    });
  }
  // `_after`: the next item starts; pick keeps its bin, move forgets where the last one went.
  function after(flow, st) {
    ["item", "lot", "expiry", "qty", "unit_cost", "held"].forEach(function (n) { st[n] = ""; });
    if (flow === "move" || (flow === "put_away" && !st.bin_first)) st.dst = "";
  }
  function itemText(form, st) {
    if (st.held) return st.held;
    var shown = form.querySelector('[data-slot="item"]');
    return shown ? shown.textContent.trim() : st.item;
  }
  function describe(form, flow, st) {
    var what = (st.qty ? st.qty + " × " : "") + itemText(form, st);
    if (flow === "receive") return "Receive " + what + " into " + st.dst + (st.po ? " on " + st.po : "");
    if (flow === "return") return "Return " + what + " into " + st.dst;
    if (flow === "put_away" || flow === "move") return PAST[flow] + " " + what + " " + st.src + " → " + st.dst;
    return PAST[flow] + " " + what + " from " + st.src + (flow === "issue" ? " for " + st.reference : "");
  }
  function slot(form, name, value, detail, clearText) {
    var box = form.querySelector('[data-slot-box="' + name + '"]');
    if (!box) return;
    box.textContent = "";
    if (!value) { box.appendChild(el("span", { "class": "muted" }, box.getAttribute("data-empty") || "")); return; }
    box.appendChild(el("strong", { "data-slot": name }, value));
    if (detail) box.appendChild(detail.nodeType ? detail : document.createTextNode(" " + detail));
    box.appendChild(document.createTextNode(" "));
    box.appendChild(el("button", { "class": "btn btn-small btn-secondary", name: "clear", value: name, type: "submit" },
      clearText));
  }
  function prompt(form, need) {
    try { return JSON.parse(form.getAttribute("data-prompts") || "{}")[need] || ""; } catch (e) { return ""; }
  }
  function renderStock(form, before, st) {
    var missing = missingOf(form, st);
    var input = form.querySelector("[data-scan-input]");
    if (input) input.placeholder = missing.length ? prompt(form, missing[0]) : "Scan the next item";
    if (st.src !== before.src) slot(form, "src", st.src, "", "Change");
    if (st.dst !== before.dst || st.bin_first !== before.bin_first) {
      slot(form, "dst", st.dst, st.bin_first ? el("span", { "class": "muted" }, " (stays for the next items)") : "",
        "Change");
    }
    if (st.po !== before.po) {
      var po = order(st.po);
      slot(form, "po", st.po, po ? " · " + po.supplier + " · " + po.status : "", "Without PO");
      var lines = form.closest(".scanflow") && form.closest(".scanflow").querySelector("[data-po-lines]");
      if (lines) lines.hidden = lines.getAttribute("data-po-lines") !== st.po;
    }
    if (st.held !== before.held || st.item !== before.item) {
      if (st.held) slot(form, "item", st.held, el("span", { "class": "muted" }, " held on this phone, checked when sent"), "Clear");
      else if (!st.item) slot(form, "item", "", "", "Clear");
    }
    return missing;
  }
  function stockStep(form, data) {
    var flow = form.getAttribute("data-flow");
    var before = read(form, STOCK);
    var st = read(form, STOCK);
    var clear = data.get("clear");
    if (clear) {
      if (clear === "item") ["item", "lot", "expiry", "qty", "unit_cost", "held"].forEach(function (n) { st[n] = ""; });
      else if (has(st, clear)) st[clear] = "";
      write(form, st);
      renderStock(form, before, st);
      return { queue: false };
    }
    var raw = trimmed(data.get("scan"));
    var got = raw ? absorb(flow, st, raw) : null;
    if (got && got.kind === "refused") {
      clearScan(form);
      tell(form, "error", got.note);
      return { queue: false };
    }
    var missing = missingOf(form, st);
    if (!missing.length) {
      // Complete: the queue keeps the form exactly as the server would have received it online (held item, then
      // this scan); then the form starts the next item.
      var label = describe(form, flow, st);
      return {
        queue: true,
        label: label,
        after: function () {
          var done = {};
          STOCK.forEach(function (n) { done[n] = st[n]; });
          after(flow, done);
          var now = read(form, STOCK);
          write(form, done);
          renderStock(form, now, done);
          tell(form, "ok", "Kept on this phone: " + label + ". It is sent when the connection is back.", "queued");
        },
      };
    }
    write(form, st);
    clearScan(form);
    renderStock(form, before, st);
    var need = prompt(form, missing[0]) || "Scan what is missing";
    if (!got) {
      tell(form, "warn", need + " first.");
    } else if (got.kind === "item") {
      var first = missing[0] === "dst" && (flow === "move" || flow === "put_away") ? " next" : " first";
      tell(form, "warn", need + first + " — " + got.note + " is held on this phone and nothing is saved until then." +
        (stored() ? "" : NOT_KNOWN), "need");
    } else {
      tell(form, "ok", got.note + " — " + need.charAt(0).toLowerCase() + need.slice(1) + ".");
    }
    return { queue: false };
  }

  // ---------------------------------------------------------------- a bin, then items: counts and order picks
  function within(code, scope) {
    for (var c = code, n = 0; c && n < 64; n += 1) {
      if (c === scope) return true;
      var p = place(c);
      if (!p) return true; // a link this phone does not know: the server judges when it is sent
      c = p.parent;
    }
    return false;
  }
  function showBin(form, code) {
    var line = form.querySelector("[data-bin-line]");
    if (line) {
      line.textContent = "Counting ";
      line.appendChild(el("strong", { "data-slot": "bin" }, code));
      line.appendChild(document.createTextNode(" — each scan adds one (a case adds its pack); scan another bin to move on."));
    }
    var panel = form.closest(".scanflow") || form;
    var card = Array.prototype.filter.call(panel.querySelectorAll("[data-bin]"), function (c) {
      return c.getAttribute("data-bin") === code;
    })[0];
    var kind = form.querySelector("[data-task-kind]");
    if (kind && card) {
      kind.textContent = "In bin";
      var bin = form.querySelector('.task-bin [data-slot="bin"]');
      if (bin) {
        bin.textContent = code;
        if (bin.nextElementSibling) bin.nextElementSibling.textContent = card.getAttribute("data-bin-name") || "";
      }
      var item = form.querySelector("[data-task-item]");
      if (item) item.textContent = card.getAttribute("data-take") || "";
    }
    var input = form.querySelector("[data-scan-input]");
    if (input) input.placeholder = kind ? "Scan the item" : "Scan items in " + code;
  }
  function outside(form, code) {
    var scope = form.getAttribute("data-bin-scope");
    return !!scope && !within(code, scope);
  }
  function binStep(form, data) {
    var counting = form.getAttribute("data-offline-steps") === "count";
    var raw = trimmed(data.get("scan"));
    var binField = field(form, "bin");
    var bin = binField ? binField.value.trim() : "";
    var code = ownCode(raw);
    var bins = (form.getAttribute("data-bins") || "").split(" ").filter(Boolean);
    var isBin = !!code && (!!place(code) || (!counting && bins.indexOf(code) >= 0));
    if (raw && !isBin && bin) {
      // An item in the bin held: kept as it stands (the server counts or picks it when it is sent).
      var qty = field(form, "qty");
      var lot = counting ? field(form, "lot") : null;
      var expiry = counting ? field(form, "expiry") : null;
      var label = (counting ? "Count " : "Pick ") + (qty && qty.value.trim() ? qty.value.trim() + " × " : "") + raw +
        (lot && lot.value.trim() ? " lot " + lot.value.trim() : "") + (counting ? " in " : " from ") + bin;
      return {
        queue: true,
        label: label,
        after: function () {
          if (qty) qty.value = "";
          if (lot) lot.value = ""; // as online: a typed lot goes with the one scan it was typed for
          if (expiry) expiry.value = "";
          tell(form, "ok", "Kept on this phone: " + label + ". It is sent when the connection is back.", "queued");
        },
      };
    }
    if (counting && isBin && !outside(form, code)) {
      // A count keeps which bins were visited, so one found empty is not taken for one skipped: the bin is held
      // at once, as online, and the scan is kept with it held (the server then records the visit, nothing else).
      if (binField) binField.value = code;
      showBin(form, code);
      return {
        queue: true,
        label: "Bin " + code + " visited for count " + form.getAttribute("data-count"),
        after: function () {
          tell(form, "ok", "Counting " + code + " — now scan the items in it. The visit is kept on this phone and " +
            "sent when the connection is back.", "queued");
        },
      };
    }
    clearScan(form);
    if (!raw) {
      tell(form, "error", counting ? "Scan a bin, then the items in it." : "Scan the bin, then the item.");
    } else if (!isBin) {
      tell(form, "warn", (counting ? "Scan the bin first, then the items in it." : "Scan the bin first, then the item.") +
        " Nothing is saved until then." + (stored() ? "" : NOT_KNOWN), "need");
    } else if (counting && outside(form, code)) {
      tell(form, "error", code + " is not part of count " + form.getAttribute("data-count") + ".");
    } else if (!counting && bins.indexOf(code) < 0) {
      tell(form, "error", "Nothing to pick in " + code + " for this order; the next pick is from " +
        (bins[0] || "nowhere: the order is picked") + ".");
    } else {
      if (binField) binField.value = code;
      showBin(form, code);
      tell(form, "ok", (counting ? "Counting " : "Bin ") + code + " — now scan the items in it.");
    }
    return { queue: false };
  }

  // ---------------------------------------------------------------- the check-out batch (app/assets/routes.py)
  function tagsOf(value) {
    return String(value || "").split(/[\s,;]+/).filter(Boolean).map(function (t) { return t.toUpperCase(); });
  }
  function batchTags(form) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="batch"]'), function (i) { return i.value; });
  }
  function showBatch(form) {
    var tags = batchTags(form);
    var box = form.querySelector("[data-batch]");
    if (box) box.hidden = tags.length === 0;
    var count = form.querySelector("[data-batch-count]");
    if (count) count.textContent = String(tags.length);
    var go = form.querySelector("[data-checkout]");
    if (go) go.textContent = tags.length ? "Check out all (" + tags.length + ")" : "Check out";
    var add = form.querySelector("[data-batch-add]"), start = form.querySelector("[data-batch-start]");
    var input = form.querySelector("[data-scan-input]");
    if (tags.length && !add && input) {
      // As on the server's batch form: right after the tag field, so Enter (a scanner's suffix) adds to the batch.
      add = el("button", { "class": "btn btn-secondary", type: "submit", name: "collect", value: "1", "data-batch-add": "" },
        "Add to batch");
      input.insertAdjacentElement("afterend", add);
    }
    if (!tags.length && add) add.remove();
    if (start) start.hidden = tags.length > 0;
  }
  function checkoutStep(form, data) {
    var adding = tagsOf(data.get("tags"));
    if (!data.get("collect")) {
      var all = batchTags(form).concat(adding);
      if (!all.length) {
        tell(form, "error", "Scan a tag first.");
        return { queue: false };
      }
      return {
        queue: true,
        label: "Check out " + all.join(", "),
        after: function () {
          Array.prototype.forEach.call(form.querySelectorAll("[data-batch-tag]"), function (chip) { chip.remove(); });
          showBatch(form);
        },
      };
    }
    clearScan(form);
    if (!adding.length) {
      tell(form, "error", "Scan a tag to add it to the batch.");
      return { queue: false };
    }
    var list = form.querySelector("[data-batch-list]");
    var have = batchTags(form);
    adding.forEach(function (tag) {
      if (!list || have.indexOf(tag) >= 0) return;
      have.push(tag);
      var chip = el("li", { "class": "chip", "data-batch-tag": "" }, tag);
      chip.appendChild(el("input", { type: "hidden", name: "batch", value: tag }));
      list.appendChild(chip);
    });
    showBatch(form);
    tell(form, "ok", have.length + " in the batch, kept on this phone; scan the next or check out all. " +
      "Nothing is checked out until you do.");
    return { queue: false };
  }

  // ---------------------------------------------------------------- the hook the offline queue calls
  var STEPS = { stock: stockStep, count: binStep, "order-pick": binStep, checkout: checkoutStep };
  // form: a scan action form the queue is about to keep; data: what it would have sent (FormData, with the button).
  // Returns null (keep it as it is), {queue: false} (done on the phone), or {queue: true, label, after}.
  function offline(form, data) {
    var step = STEPS[form.getAttribute("data-offline-steps")];
    if (!step || !document.contains(form)) return null;
    return step(form, data);
  }

  SK.steps = { offline: offline, refresh: refresh };

  function boot() {
    if (!currentUser() && document.querySelector('meta[name="csrf-token"]')) forget(); // the sign-in page
    refresh(false);
  }
  document.addEventListener("htmx:load", function (ev) {
    if (ev.target && ev.target.querySelector && ev.target.querySelector("form[data-codes-url]")) refresh(false);
    else show();
  });
  window.addEventListener("online", function () { refresh(true); });
  // Signing out forgets them (after the queue's own question, which may cancel it: it stops the event there).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.action && new URL(form.action, location.href).pathname === "/logout") forget();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

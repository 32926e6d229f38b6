/* The script of every survey, thank-you and error page. It is a Jinja template: the build passes in the
   collector's list of sources and renders one version per kind of page (`form`: a survey page, `kiosk`: a
   kiosk page, `thanks`: the thank-you page; the error page queues only), then minifies and inlines it, so a
   page carries only the code it runs. Without it the form posts as a plain form; with it, each
   answer gets an id, goes into a localStorage queue first, and is sent with fetch as a simple request (no
   CORS preflight). It leaves the queue only when the collector stored it (200/201) or can never store it
   (400/413/415); anything else is sent again on `online`, on the next page load and on a backoff timer, never
   sooner than a Retry-After asks. The customer is told the truth: "no connection" only when the request did
   not reach the collector, "it will be sent shortly" when the collector asked for it later (409, 429, 5xx).
   The thank-you page names the person picked and confirms a call-back (a note in sessionStorage).
   A kiosk page (form[data-kiosk]) thanks in place and shows a blank form again, remembering nothing of the
   customer once the answer is delivered. The language switcher's links (hreflang) work without the script;
   with it, the default address follows the customer's language on a first visit. */
(function () {
  "use strict";
  var QUEUE = "wowcard.queue",
    THANKS = "wowcard.thanks",  // for the thank-you page: the person picked, a call-back asked for
    LEASE_MS = 30000,
    sending = {},      // ids being sent by this page: never the same answer twice at once
    memory = [],       // the queue when localStorage is unavailable (private mode, storage full)
    current = null,    // the answer this page's form sent
    delay = 0,
    timer = 0;
{% if form %}
  var SOURCES = {{ sources|tojson }},  // the collector's `src` values (collector/answers.py)
    DEVICE = "wowcard.device",
    LANGUAGE = "wowcard.lang",  // the language the customer picked in a switcher
    form = document.querySelector("form[data-thanks]"),
    button = form && form.querySelector("button"),  // a page of this kind without the form only sends the queue
    status = document.getElementById("status");
{% endif %}
{% if kiosk %}
  var HOME = "wowcard.kiosk",  // the kiosk page this tablet was set up on
    PAUSE_MS = 8000,  // a kiosk shows its thanks this long, then a blank form
    IDLE_MS = 90000,  // a kiosk form left half-answered this long is cleared
    idle = 0;
{% endif %}

  function storage(kind) {
    try {
      var s = window[kind || "localStorage"], probe = "wowcard.probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }

  function load() {
    var s = storage();
    if (!s) return memory;
    try {
      var q = JSON.parse(s.getItem(QUEUE) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return [];
    }
  }

  function save(queue) {
    var s = storage();
    try {
      if (queue.length) s.setItem(QUEUE, JSON.stringify(queue)); else s.removeItem(QUEUE);
    } catch (e) {
      memory = queue;
    }
  }

  // Read, change and write back the queue entry of one answer.
  function update(id, change) {
    var queue = load();
    for (var i = 0; i < queue.length; i++) if (queue[i].answer && queue[i].answer.id === id) change(queue, i);
    save(queue);
  }

{% if form %}
  // 128 random bits as 32 hex digits: an answer's id, a device token. crypto.getRandomValues works on plain
  // HTTP too (crypto.randomUUID only in secure contexts).
  function random(n) {
    var bytes = crypto.getRandomValues(new Uint8Array(n)), out = "";
    for (var i = 0; i < n; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  // One random token per phone (none without storage: the collector then tells devices apart itself). A
  // kiosk serves many customers: each answer gets a new token, kept nowhere.
  function device() {
    var s = storage(), token = s && s.getItem(DEVICE);
{% if kiosk %}
    return random(16);
{% endif %}
    if (!s) return "";
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(token || "")) {
      token = random(16);
      s.setItem(DEVICE, token);
    }
    return token;
  }

  // The answer (a) as the collector takes it: empty fields left out, as the form would post them otherwise.
  function collect() {
    var a = { id: random(16), website: "" }, src = new URLSearchParams(location.search).get("src"), token = device();
    new FormData(form).forEach(function (value, name) {
      if (name === "promises") (a.promises = a.promises || []).push(value);
      else if (name === "website" || value.trim()) a[name] = value;
    });
    if (a.wow === "no") {  // who and what are hidden after No: they do not apply
      delete a.staff;
      delete a.what;
    }
    if (!a.src && SOURCES.indexOf(src) >= 0) a.src = src;
    if (token) a.device = token;
    return a;
  }
{% endif %}

  function schedule(seconds) {
    delay = Math.min(Math.max(delay * 2, 5000), 300000);
    clearTimeout(timer);
    timer = setTimeout(flush, Math.max(delay * (0.8 + Math.random() * 0.4), seconds * 1000 || 0));
  }

  // The answer left the queue: stored, or rejected for good (`field` names what the collector refused).
  function finish(id, stored, field, dropped) {
    update(id, function (q, i) { q.splice(i, 1); });
{% if kiosk %}
    if (current && current.id === id) pause(stored ? "done" : "failed", stored ? "" : "request");
{% elif form %}
    if (!current || current.id !== id) return;
    if (stored) {
      var note = storage("sessionStorage"), callback = current.callback && !dropped;
      if (note && (current.name || callback)) note.setItem(THANKS, JSON.stringify({ name: current.name, callback: callback }));
      // replace: Back must not offer the same answer again
      location.replace(form.dataset.thanks + (dropped ? "#contact-dropped" : ""));
    } else {
      ready();  // coming Back to the form, the customer corrects it and sends a new answer
      location.assign(form.dataset.error + "#" + (field || "request"));
    }
{% endif %}
  }
{% if form %}

  function ready() {
    current = null;
    button.disabled = false;
    button.textContent = button.dataset.send;
  }

{% endif %}

  function json(reply) {
    return reply.json().catch(function () { return {}; });
  }

  function send(item) {
    var id = item.answer.id;
    if (sending[id]) return;
    sending[id] = true;
    update(id, function (q, i) { q[i].lease = Date.now() + LEASE_MS; });
    // A string body goes as text/plain;charset=UTF-8: a simple request. No cookies go cross-origin.
    fetch(item.url, { method: "POST", body: JSON.stringify(item.answer), keepalive: true }).then(function (reply) {
      var code = reply.status;
      if (code === 200 || code === 201) {
        return json(reply).then(function (body) {
          // A captive portal also answers 200: only the collector's own answer takes it off the queue.
          if (body.status !== "stored" && body.status !== "duplicate") throw {};
          delay = 0;
          finish(id, true, "", body.contact_dropped);
        });
      }
      if ([400, 413, 415].indexOf(code) >= 0) {
        return json(reply).then(function (body) { finish(id, false, body.field); });
      }
      // The collector answered and will take it later (409 version not published yet, 429, 503 …).
      throw { later: true, retry: Number(reply.headers.get("Retry-After")) || 0 };
    }).catch(function (failure) {
      var retry = failure.retry;
      update(id, function (q, i) {
        if (retry) q[i].lease = Date.now() + retry * 1000; else delete q[i].lease;
      });
{% if form %}
      if (current && current.id === id) waiting(failure.later);
{% endif %}
      schedule(retry);
    }).then(function () {
      delete sending[id];
    });
  }

  // Send everything queued that no other page of this origin is sending (or was asked to hold) right now.
  function flush() {
    var now = Date.now(), leased = false;
    load().forEach(function (item) {
      if (!item || !item.answer || !item.url) return;
      if (item.lease > now) leased = true; else send(item);
    });
    if (leased) schedule(LEASE_MS / 1000);
  }

{% if form %}
  // Show a title and a text of #status's (their keys in its data- attributes) in place of the form.
  function tell(title, text) {
    status.innerHTML = "<h1></h1><p></p>";
    status.firstChild.textContent = status.dataset[title];
    status.lastChild.textContent = text ? status.dataset[text] : "";
    form.hidden = true;
    status.focus();
  }

  // Tell the customer their answer is safe, once: no spinner, no second send button.
  function waiting(later) {
{% if kiosk %}
    pause("done", "queued");
{% else %}
    if (form.hidden) return;
    var kept = !!storage();
    tell(kept ? "safe" : "unsent", later ? (kept ? "later" : "wait") : (kept ? "saved" : "keep"));
{% endif %}
  }
{% if kiosk %}

  // A kiosk thanks the customer, clears the form at once, and is ready for the next one after a pause.
  function pause(title, text) {
    current = null;
    clearTimeout(idle);
    form.reset();
    tell(title, text);
    setTimeout(next, PAUSE_MS);
  }

  function next() {
    var home = storage("sessionStorage");
    home = home && home.getItem(HOME);
    status.textContent = "";
    form.hidden = false;
    ready();
    scrollTo(0, 0);
    if (home && home !== location.pathname && navigator.onLine) location.replace(home);
  }
{% endif %}

  // A language tag's language, except that Chinese is told apart by script: zh-TW/HK/MO and zh-Hant read
  // Traditional characters, zh-CN/SG, zh-Hans and plain zh Simplified.
  function base(tag) {
    var language = tag.split("-")[0];
    if (language !== "zh") return language;
    return /-(hant|tw|hk|mo)(-|$)/.test(tag) ? "zh-hant" : "zh-hans";
  }

  // The first of the phone's languages that one of `codes` serves: the same tag, else the same language.
  function match(wanted, codes) {
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).toLowerCase(), j;
      for (j = 0; j < codes.length; j++) if (codes[j].toLowerCase() === tag) return codes[j];
      for (j = 0; j < codes.length; j++) if (base(codes[j].toLowerCase()) === base(tag)) return codes[j];
    }
    return null;
  }

  // Remember a language picked in the switcher (not on a kiosk: the next customer chooses their own) and keep
  // ?src= across it. On the default address ([data-auto]), go to the page of the remembered language, else
  // of the phone's first language that has one. Only the default address moves, and only to a page of
  // another language, which never moves: no loop.
  function followLanguage() {
    var links = {}, codes = [], s = storage();
    document.querySelectorAll("a[hreflang]").forEach(function (link) {
      var code = link.getAttribute("hreflang");
      links[code] = link;
      codes.push(code);
      link.addEventListener("click", function () {
{% if not kiosk %}
        try {
          s.setItem(LANGUAGE, code);
        } catch (e) { /* the choice is not remembered; it still works */ }
{% endif %}
        link.search = location.search;
      });
    });
    if (!document.querySelector("[data-auto]")) return false;
    var chosen = s && s.getItem(LANGUAGE);
    var want = codes.indexOf(chosen) >= 0 ? chosen : match(navigator.languages || [navigator.language || ""], codes);
    if (!want || want === document.documentElement.lang) return false;
    location.replace(links[want].pathname + location.search + location.hash);
    return true;
  }
{% endif %}
{% if thanks %}

  // On the thank-you page: the note the survey page left, shown once.
  function thank() {
    var s = storage("sessionStorage"), note = null;
    try {
      note = JSON.parse(s.getItem(THANKS));
      s.removeItem(THANKS);
    } catch (e) { /* no note: the page stays generic */ }
    if (!note) return;
    var named = document.getElementById("named"), callback = document.getElementById("callback");
    if (named && note.name) {
      named.textContent = named.textContent.replace("{name}", note.name);
      named.hidden = false;
    }
    if (callback && note.callback) callback.hidden = false;
  }

  thank();
{% endif %}
{% if form %}
  if (followLanguage()) return;  // the page in the customer's language sends the queue instead
{% endif %}
  window.addEventListener("online", function () { delay = 0; flush(); });
  flush();
{% if form %}
  if (form) {
{% if kiosk %}
    var session = storage("sessionStorage");
    if (session && !session.getItem(HOME)) session.setItem(HOME, location.pathname);
    form.addEventListener("input", function () {
      clearTimeout(idle);
      idle = setTimeout(function () { form.reset(); scrollTo(0, 0); }, IDLE_MS);
    });
{% endif %}
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (current) return;
      var answer = collect();
      var picked = answer.wow === "yes" && answer.staff !== "_" && form.querySelector("[name=staff]:checked");
      current = {
        id: answer.id,
        name: picked ? picked.parentNode.textContent.trim() : "",
        callback: !!(answer.contact && answer.consent)
      };
      button.disabled = true;
      button.textContent = button.dataset.sending;
      var item = { url: form.action, answer: answer };
      var queue = load();
      queue.push(item);
      save(queue);
      send(item);
    });
  }
{% endif %}
})();

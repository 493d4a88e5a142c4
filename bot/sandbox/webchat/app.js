/*
 * Web chat of the Wappbíz sandbox: a WhatsApp-like phone for talking to the bot.
 *
 * Vanilla JS, no build step, no external network. Every URL is relative so the page
 * works from any host:port. Vocabulary: the sandbox API says direction "in" for what
 * the user sends (inbound to the business) and "out" for what the bot sends. The page
 * speaks from the phone's point of view, like WhatsApp Web: the user's own messages
 * are ".bubble.out" (green, right) and the bot's are ".bubble.in" (white, left).
 * Each bubble also carries data-from="user|bot" and data-direction="in|out" (API).
 */
(function () {
  "use strict";

  // --- strings ------------------------------------------------------------------------
  var I18N = {
    es: {
      title: "Sandbox Wappbíz",
      subtitle: "Tu teléfono de prueba para hablar con el bot",
      phone_label: "Celular (Colombia)",
      name_label: "Nombre para mostrar",
      name_placeholder: "Laura",
      role_label: "Rol",
      role_attendee: "Asistente",
      role_model: "Modelo",
      role_designer: "Diseñador/a",
      role_organizer: "Organizador/a",
      role_staff: "Staff",
      start: "Abrir conversación",
      tools_title: "Herramientas del sandbox",
      window_label: "Ventana de 24 h:",
      window_open: "abierta",
      window_closed: "cerrada",
      window_close: "Cerrar ventana",
      window_open_btn: "Abrir ventana",
      verify: "Verificar webhook",
      verify_ok: "El bot respondió el desafío correctamente.",
      verify_fail: "La verificación falló",
      connection_label: "Conexión:",
      connected: "conectado",
      disconnected: "sin conexión con el sandbox, reintentando…",
      empty: "Escribe tu número y abre la conversación para empezar.",
      empty_open: "Aún no hay mensajes. ¡Saluda al bot!",
      composer_placeholder: "Escribe un mensaje",
      attach: "Adjuntar imagen",
      send: "Enviar",
      phone_invalid: "Número no válido: escribe un celular colombiano de 10 dígitos que empiece por 3 (ej. 300 123 4567).",
      role_saving: "Guardando rol…",
      role_saved: "Rol actualizado en el bot: {role}.",
      role_error: "No se pudo cambiar el rol: {message}",
      bot_unreachable: "el bot no responde (¿está corriendo el servidor de acciones?)",
      bot_rejected: "el bot rechazó el cambio",
      send_error: "No se pudo enviar: {message}",
      image_too_big: "La imagen supera 5 MB.",
      image_type: "Solo se pueden enviar imágenes JPEG o PNG.",
      typing: "escribiendo…",
      online: "en línea",
      status_accepted: "aceptado",
      status_sent: "enviado",
      status_delivered: "entregado",
      status_read: "leído",
      status_failed: "falló",
      webhook_failed: "El bot no recibió este mensaje",
      no_answer: "no responde",
      open_list: "Ver opciones",
      send_location: "📍 Enviar ubicación",
      location_link: "Ver en el mapa",
      document: "Documento",
      contact_card: "Contacto",
      unsupported: "Mensaje de tipo «{type}»",
      reaction_to: "reaccionó {emoji}",
      image: "Imagen",
      scan_at_door: "🚪 Escanear en la puerta",
      audio: "Audio",
      video: "Video",
      sticker: "Sticker",
      template: "Plantilla",
      lang_toggle: "EN"
    },
    en: {
      title: "Wappbíz sandbox",
      subtitle: "Your test phone for talking to the bot",
      phone_label: "Mobile (Colombia)",
      name_label: "Display name",
      name_placeholder: "Laura",
      role_label: "Role",
      role_attendee: "Attendee",
      role_model: "Model",
      role_designer: "Designer",
      role_organizer: "Organizer",
      role_staff: "Staff",
      start: "Open conversation",
      tools_title: "Sandbox tools",
      window_label: "24 h window:",
      window_open: "open",
      window_closed: "closed",
      window_close: "Close window",
      window_open_btn: "Open window",
      verify: "Verify webhook",
      verify_ok: "The bot echoed the challenge correctly.",
      verify_fail: "Verification failed",
      connection_label: "Connection:",
      connected: "connected",
      disconnected: "no connection to the sandbox, retrying…",
      empty: "Type your number and open the conversation to start.",
      empty_open: "No messages yet. Say hi to the bot!",
      composer_placeholder: "Type a message",
      attach: "Attach image",
      send: "Send",
      phone_invalid: "Invalid number: type a 10-digit Colombian mobile starting with 3 (e.g. 300 123 4567).",
      role_saving: "Saving role…",
      role_saved: "Role updated in the bot: {role}.",
      role_error: "Could not change the role: {message}",
      bot_unreachable: "the bot does not answer (is the action server running?)",
      bot_rejected: "the bot rejected the change",
      send_error: "Could not send: {message}",
      image_too_big: "The image is larger than 5 MB.",
      image_type: "Only JPEG or PNG images can be sent.",
      typing: "typing…",
      online: "online",
      status_accepted: "accepted",
      status_sent: "sent",
      status_delivered: "delivered",
      status_read: "read",
      status_failed: "failed",
      webhook_failed: "The bot did not receive this message",
      no_answer: "no answer",
      open_list: "See options",
      send_location: "📍 Send location",
      location_link: "Open in maps",
      document: "Document",
      contact_card: "Contact",
      unsupported: "Message of type “{type}”",
      reaction_to: "reacted {emoji}",
      image: "Image",
      scan_at_door: "🚪 Scan at the door",
      audio: "Audio",
      video: "Video",
      sticker: "Sticker",
      template: "Template",
      lang_toggle: "ES"
    }
  };

  var MAX_IMAGE_BYTES = 5 * 1024 * 1024;
  var POLL_WAIT_S = 25;
  var MEDELLIN = { latitude: 6.2442, longitude: -75.5812, name: "Medellín", address: "Medellín, Antioquia" };

  var state = {
    lang: localStorage.getItem("wc.lang") === "en" ? "en" : "es",
    waId: null,
    name: "",
    cursor: 0,
    pollToken: 0,
    messages: {},      // wamid -> message (latest version)
    lastReadSeq: 0,
    pollAbort: null,   // AbortController of the pending long-poll
    windowOpen: false,
    typing: false
  };

  var $ = function (id) { return document.getElementById(id); };

  function t(key, vars) {
    var text = (I18N[state.lang] && I18N[state.lang][key]) || I18N.es[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    }
    return text;
  }

  function applyI18n() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.getAttribute("data-i18n")); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-title]").forEach(function (el) {
      el.setAttribute("title", t(el.getAttribute("data-i18n-title")));
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-title")));
    });
    $("lang").textContent = t("lang_toggle");
    updateWindow();
    updateSubtitle();
    if (state.waId) { rerenderAll(); }
    else { $("empty").textContent = t("empty"); }
  }

  // --- phone numbers ------------------------------------------------------------------
  /** "300 123 4567", "+57 300…", "57300…" -> "3001234567" or null. */
  function normalizePhone(raw) {
    var digits = String(raw || "").replace(/[\s\-().]/g, "");
    if (digits.charAt(0) === "+") { digits = digits.slice(1); }
    if (digits.length === 12 && digits.slice(0, 2) === "57") { digits = digits.slice(2); }
    return /^3\d{9}$/.test(digits) ? digits : null;
  }

  function prettyPhone(waId) {
    var d = waId.slice(2);
    return "+57 " + d.slice(0, 3) + " " + d.slice(3, 6) + " " + d.slice(6);
  }

  // --- HTTP ---------------------------------------------------------------------------
  function api(method, path, body, signal) {
    var options = { method: method, headers: {}, signal: signal };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
        if (!response.ok) {
          var error = new Error((data && (data.message || data.error)) || ("HTTP " + response.status));
          error.status = response.status;
          error.key = data && data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function setStatus(el, text, kind) {
    el.textContent = text || "";
    el.className = "status-line" + (kind ? " " + kind : "");
  }

  // --- WhatsApp text formatting --------------------------------------------------------
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function formatPlain(text) {
    var html = escapeHtml(text);
    html = html.replace(/```([\s\S]+?)```/g, "<code>$1</code>");
    html = html.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?!\w)/g, "$1<strong>$2</strong>");
    html = html.replace(/(^|[^\w_])_(?!\s)([^_\n]+?)_(?!\w)/g, "$1<em>$2</em>");
    html = html.replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?!\w)/g, "$1<s>$2</s>");
    return html.replace(/\n/g, "<br>");
  }

  /** WhatsApp markup (*bold* _italic_ ~strike~ ```mono```), newlines and safe links. */
  function formatWhatsApp(text) {
    var parts = String(text || "").split(/(https?:\/\/[^\s<>"']+)/g);
    return parts.map(function (part, index) {
      if (index % 2 === 1) {
        var url = escapeHtml(part);
        return '<a href="' + url + '" target="_blank" rel="noopener noreferrer">' + url + "</a>";
      }
      return formatPlain(part);
    }).join("");
  }

  function safeUrl(url) {
    return /^https?:\/\//i.test(String(url || "")) ? String(url) : null;
  }

  // --- DOM helpers ----------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function richText(className, text) {
    var node = el("div", className);
    node.innerHTML = formatWhatsApp(text);
    return node;
  }

  function link(href, text, className) {
    var a = el("a", className || "", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function mediaSrc(media) {
    if (!media) { return null; }
    if (media.id) { return "sandbox/media/" + encodeURIComponent(media.id); }
    return safeUrl(media.link);
  }

  function timeLabel(ts) {
    var date = new Date(Number(ts) * 1000);
    return String(date.getHours()).padStart(2, "0") + ":" + String(date.getMinutes()).padStart(2, "0");
  }

  // --- message rendering ----------------------------------------------------------------
  function renderMedia(kind, media, container) {
    var src = mediaSrc(media);
    if (kind === "image" || kind === "sticker") {
      if (src) {
        var img = el("img", kind === "sticker" ? "sticker" : "photo");
        img.alt = media.caption || t(kind);
        img.loading = "lazy";
        img.src = src;
        img.onerror = function () { img.replaceWith(link(src, t(kind) + ": " + src, "media-link")); };
        container.appendChild(img);
      } else {
        container.appendChild(el("div", "media-missing", t(kind)));
      }
    } else if (kind === "document") {
      var name = media.filename || t("document");
      var doc = el("div", "document");
      doc.appendChild(el("span", "doc-icon", "📄"));
      if (src) {
        var a = link(src, name, "doc-link");
        a.setAttribute("download", name);
        doc.appendChild(a);
      } else {
        doc.appendChild(el("span", "doc-link", name));
      }
      container.appendChild(doc);
    } else if (kind === "audio" || kind === "video") {
      if (src) {
        var player = el(kind, "player");
        player.controls = true;
        player.preload = "none";
        player.src = src;
        container.appendChild(player);
      } else {
        container.appendChild(el("div", "media-missing", t(kind)));
      }
    }
    if (media && media.caption) { container.appendChild(richText("text caption", media.caption)); }
  }

  function renderLocation(loc, container) {
    var box = el("div", "location");
    box.appendChild(el("div", "location-pin", "📍"));
    var info = el("div", "location-info");
    if (loc.name) { info.appendChild(el("div", "location-name", loc.name)); }
    if (loc.address) { info.appendChild(el("div", "location-address", loc.address)); }
    var q = Number(loc.latitude) + "," + Number(loc.longitude);
    info.appendChild(link("https://www.google.com/maps?q=" + encodeURIComponent(q), t("location_link"), "location-link"));
    box.appendChild(info);
    container.appendChild(box);
  }

  function renderContacts(contacts, container) {
    (contacts || []).forEach(function (contact) {
      var card = el("div", "contact-card");
      card.appendChild(el("div", "contact-name", "👤 " + ((contact.name && contact.name.formatted_name) || t("contact_card"))));
      (contact.phones || []).forEach(function (phone) { card.appendChild(el("div", "contact-phone", phone.phone || phone.wa_id || "")); });
      container.appendChild(card);
    });
  }

  function renderHeader(header, container) {
    if (!header) { return; }
    if (header.type === "text") { container.appendChild(richText("header-text", header.text)); return; }
    if (header.type === "location") { renderLocation(header.location || header, container); return; }
    renderMedia(header.type, header[header.type] || header, container);
  }

  function replyButton(label, onClick, extraClass) {
    var button = el("button", "reply-button" + (extraClass ? " " + extraClass : ""), label);
    button.type = "button";
    button.setAttribute("data-testid", "reply-button");
    button.addEventListener("click", onClick);
    return button;
  }

  /** The bubble body of a message the bot sent (Cloud API send object in m.body). */
  function renderBotContent(m, bubble, actions) {
    var body = m.body || {};
    var type = m.type;
    if (type === "text") {
      bubble.appendChild(richText("text", (body.text || {}).body));
    } else if (type === "template") {
      renderTemplate(m.template_rendered || {}, bubble, actions);
    } else if (type === "interactive") {
      renderInteractive(body.interactive || {}, bubble, actions);
    } else if (["image", "document", "audio", "video", "sticker"].indexOf(type) >= 0) {
      renderMedia(type, body[type] || {}, bubble);
      // A ticket QR can be taken to the emulated door (Hi.Events check-in) from here.
      if (type === "image" && (body.image || {}).id) {
        var door = link("door?media_id=" + encodeURIComponent(body.image.id), t("scan_at_door"), "reply-button cta");
        door.setAttribute("data-testid", "scan-at-door");
        actions.appendChild(door);
      }
    } else if (type === "location") {
      renderLocation(body.location || {}, bubble);
    } else if (type === "contacts") {
      renderContacts(body.contacts, bubble);
    } else {
      bubble.appendChild(el("div", "text muted", t("unsupported", { type: type })));
    }
  }

  function renderTemplate(rendered, bubble, actions) {
    renderHeader(rendered.header, bubble);
    bubble.appendChild(richText("text", rendered.body || ""));
    if (rendered.footer) { bubble.appendChild(el("div", "footer", rendered.footer)); }
    (rendered.buttons || []).forEach(function (button) {
      if (button.type === "QUICK_REPLY") {
        actions.appendChild(replyButton(button.text, function () {
          sendInbound({ type: "button", payload: button.payload, text: button.text });
        }));
      } else if (button.type === "URL" && safeUrl(button.url)) {
        actions.appendChild(link(button.url, "🔗 " + button.text, "reply-button cta"));
      } else if (button.type === "PHONE_NUMBER") {
        actions.appendChild(link("tel:" + (button.phone_number || ""), "📞 " + button.text, "reply-button cta"));
      } else {
        actions.appendChild(el("span", "reply-button disabled", button.text));
      }
    });
  }

  function renderInteractive(interactive, bubble, actions) {
    var action = interactive.action || {};
    if (typeof action === "string") { try { action = JSON.parse(action); } catch (e) { action = {}; } }
    renderHeader(interactive.header, bubble);
    bubble.appendChild(richText("text", (interactive.body || {}).text || ""));
    if (interactive.footer && interactive.footer.text) { bubble.appendChild(el("div", "footer", interactive.footer.text)); }
    if (interactive.type === "button") {
      (action.buttons || []).forEach(function (button) {
        var reply = button.reply || {};
        actions.appendChild(replyButton(reply.title, function () {
          sendInbound({ type: "interactive", button_reply: { id: reply.id, title: reply.title } });
        }));
      });
    } else if (interactive.type === "list") {
      var open = el("button", "list-open", "☰ " + (action.button || t("open_list")));
      open.type = "button";
      open.setAttribute("data-testid", "list-open");
      open.addEventListener("click", function () { openSheet(action); });
      actions.appendChild(open);
    } else if (interactive.type === "cta_url") {
      var params = action.parameters || {};
      if (safeUrl(params.url)) { actions.appendChild(link(params.url, "🔗 " + (params.display_text || params.url), "reply-button cta")); }
    } else if (interactive.type === "location_request_message") {
      actions.appendChild(replyButton(t("send_location"), function () {
        sendInbound(Object.assign({ type: "location" }, MEDELLIN));
      }));
    }
  }

  /** The bubble body of a message the user sent (Cloud API webhook object in m.body). */
  function renderUserContent(m, bubble) {
    var body = m.body || {};
    var type = body.type || m.type;
    if (type === "text") {
      bubble.appendChild(richText("text", (body.text || {}).body));
    } else if (type === "interactive") {
      var reply = (body.interactive || {}).button_reply || (body.interactive || {}).list_reply || {};
      bubble.appendChild(richText("text", reply.title || reply.id || ""));
    } else if (type === "button") {
      bubble.appendChild(richText("text", (body.button || {}).text || (body.button || {}).payload || ""));
    } else if (["image", "document", "audio", "video", "sticker"].indexOf(type) >= 0) {
      renderMedia(type, body[type] || {}, bubble);
    } else if (type === "location") {
      renderLocation(body.location || {}, bubble);
    } else if (type === "contacts") {
      renderContacts(body.contacts, bubble);
    } else {
      bubble.appendChild(el("div", "text muted", t("unsupported", { type: type })));
    }
  }

  function quoteFor(contextId) {
    var quoted = contextId && state.messages[contextId];
    if (!quoted) { return null; }
    var box = el("div", "quote");
    box.textContent = summary(quoted).replace(/[*_~]/g, "");
    return box;
  }

  function summary(m) {
    var body = m.body || {};
    if (m.type === "text") { return (body.text || {}).body || ""; }
    if (m.type === "template") { return (m.template_rendered || {}).body || t("template"); }
    if (m.type === "interactive") {
      var i = body.interactive || {};
      return (i.body && i.body.text) || ((i.button_reply || i.list_reply || {}).title) || "";
    }
    if (m.type === "button") { return (body.button || {}).text || ""; }
    return t(m.type) || m.type;
  }

  function ticks(m) {
    var span = el("span", "ticks status-" + m.status);
    span.setAttribute("data-testid", "ticks");
    span.setAttribute("data-status", m.status);
    span.textContent = { accepted: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "⚠" }[m.status] || "";
    span.title = t("status_" + m.status);
    return span;
  }

  function failureNote(m, fromUser) {
    var error = m.error || {};
    if (fromUser) {
      return t("webhook_failed") + " (" + (error.http_status ? "HTTP " + error.http_status : t("no_answer")) + ")";
    }
    var details = (error.error_data && error.error_data.details) || "";
    return "#" + (error.code || "?") + " " + (error.title || error.message || "") + (details ? " — " + details : "");
  }

  function renderMessage(m) {
    var fromUser = m.direction === "in";
    var row = el("div", "row " + (fromUser ? "row-out" : "row-in"));
    row.id = "msg-" + m.seq;
    row.setAttribute("data-id", m.id);
    row.setAttribute("data-seq", m.seq);

    var bubble = el("div", "bubble " + (fromUser ? "out" : "in") + " type-" + m.type);
    bubble.setAttribute("data-testid", fromUser ? "bubble-user" : "bubble-bot");
    bubble.setAttribute("data-from", fromUser ? "user" : "bot");
    bubble.setAttribute("data-direction", m.direction);
    bubble.setAttribute("data-status", m.status);
    var quote = quoteFor(m.context_id);
    if (quote) { bubble.appendChild(quote); }

    var actions = el("div", "actions");
    if (fromUser) { renderUserContent(m, bubble); } else { renderBotContent(m, bubble, actions); }

    var meta = el("div", "meta");
    meta.appendChild(el("span", "time", timeLabel(m.timestamp)));
    if (fromUser) {
      meta.appendChild(ticks(m));
    } else {
      var status = el("span", "bot-status status-" + m.status, t("status_" + m.status));
      status.setAttribute("data-testid", "bot-status");
      meta.appendChild(status);
    }
    bubble.appendChild(meta);
    if (m.status === "failed") { bubble.appendChild(el("div", "error-note", failureNote(m, fromUser))); }
    row.appendChild(bubble);
    if (actions.childNodes.length) { row.appendChild(actions); }
    return row;
  }

  function applyReaction(m) {
    var reaction = (m.body || {}).reaction || {};
    var target = document.querySelector('.row[data-id="' + CSS.escape(reaction.message_id || "") + '"] .bubble');
    if (!target) { return; }
    var badge = target.querySelector(".reaction." + (m.direction === "in" ? "by-user" : "by-bot"));
    if (!reaction.emoji) { if (badge) { badge.remove(); } return; }
    if (!badge) {
      badge = el("span", "reaction " + (m.direction === "in" ? "by-user" : "by-bot"));
      badge.setAttribute("data-testid", "reaction");
      target.appendChild(badge);
    }
    badge.textContent = reaction.emoji;
  }

  function upsert(m) {
    state.messages[m.id] = m;
    $("empty").hidden = true;
    if (m.type === "reaction") { applyReaction(m); return; }
    var list = $("messages");
    var node = renderMessage(m);
    var existing = document.getElementById("msg-" + m.seq);
    if (existing) { existing.replaceWith(node); }
    else {
      var after = null;
      list.querySelectorAll(".row").forEach(function (row) {
        if (Number(row.getAttribute("data-seq")) > m.seq && !after) { after = row; }
      });
      list.insertBefore(node, after);
    }
    reapplyReactions();
  }

  function reapplyReactions() {
    Object.keys(state.messages).forEach(function (id) {
      if (state.messages[id].type === "reaction") { applyReaction(state.messages[id]); }
    });
  }

  function rerenderAll() {
    var list = $("messages");
    list.querySelectorAll(".row").forEach(function (row) { row.remove(); });
    var all = Object.keys(state.messages).map(function (id) { return state.messages[id]; });
    all.sort(function (a, b) { return a.seq - b.seq; });
    all.forEach(upsert);
    $("empty").hidden = all.length > 0;
    $("empty").textContent = t("empty_open");
  }

  function scrollToBottom() {
    var list = $("messages");
    list.scrollTop = list.scrollHeight;
  }

  // --- list sheet ------------------------------------------------------------------------
  function openSheet(action) {
    $("sheet-title").textContent = action.button || t("open_list");
    var body = $("sheet-body");
    body.textContent = "";
    (action.sections || []).forEach(function (section) {
      if (section.title) { body.appendChild(el("div", "sheet-section", section.title)); }
      (section.rows || []).forEach(function (row) {
        var button = el("button", "list-row");
        button.type = "button";
        button.setAttribute("data-testid", "list-row");
        button.setAttribute("data-row-id", row.id);
        button.appendChild(el("span", "row-title", row.title));
        if (row.description) { button.appendChild(el("span", "row-description", row.description)); }
        button.addEventListener("click", function () {
          closeSheet();
          var reply = { id: row.id, title: row.title };
          if (row.description) { reply.description = row.description; }
          sendInbound({ type: "interactive", list_reply: reply });
        });
        body.appendChild(button);
      });
    });
    $("sheet").hidden = false;
  }

  function closeSheet() { $("sheet").hidden = true; }

  // --- conversation --------------------------------------------------------------------------
  function sendInbound(spec) {
    if (!state.waId) { return Promise.resolve(); }
    var body = Object.assign({ from: state.waId, name: state.name || undefined }, spec);
    return api("POST", "sandbox/api/inbound", body).catch(function (error) {
      setStatus($("tool-status"), t("send_error", { message: error.message }), "error");
    });
  }

  function markRead() {
    if (!state.waId || document.visibilityState !== "visible") { return; }
    var upTo = 0;
    Object.keys(state.messages).forEach(function (id) {
      var m = state.messages[id];
      if (m.direction === "out" && m.type !== "reaction" && m.status !== "read" && m.status !== "failed" && m.seq > upTo) {
        upTo = m.seq;
      }
    });
    if (upTo > state.lastReadSeq) {
      state.lastReadSeq = upTo;
      api("POST", "sandbox/api/conversations/" + state.waId + "/read", { up_to_seq: upTo }).catch(function () {
        state.lastReadSeq = 0;
      });
    }
  }

  function pollLoop(token) {
    if (token !== state.pollToken) { return; }
    var url = "sandbox/api/conversations/" + state.waId + "/messages?after=" + state.cursor + "&wait=" + POLL_WAIT_S;
    state.pollAbort = new AbortController();
    api("GET", url, undefined, state.pollAbort.signal).then(function (data) {
      if (token !== state.pollToken) { return; }
      setConnection(true);
      var list = $("messages");
      var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
      var added = false;
      data.messages.forEach(function (m) {
        if (!state.messages[m.id]) { added = true; }
        upsert(m);
      });
      state.cursor = data.last_seq;
      state.typing = !!data.typing;
      if (data.window) { state.windowOpen = !!data.window.open; }
      if (data.contact && data.contact.role) { $("role").value = data.contact.role; }
      updateWindow();
      updateSubtitle();
      if (added && (nearBottom || data.messages.some(function (m) { return m.direction === "in"; }))) { scrollToBottom(); }
      markRead();
      pollLoop(token);
    }).catch(function () {
      if (token !== state.pollToken) { return; }
      setConnection(false);
      setTimeout(function () { pollLoop(token); }, 1500);
    });
  }

  function setConnection(ok) {
    var node = $("connection");
    node.textContent = ok ? t("connected") : t("disconnected");
    node.className = ok ? "ok" : "error";
  }

  function updateWindow() {
    $("window-state").textContent = state.waId ? (state.windowOpen ? t("window_open") : t("window_closed")) : "—";
    $("window-toggle").textContent = state.windowOpen ? t("window_close") : t("window_open_btn");
    $("window-toggle").disabled = !state.waId;
  }

  function updateSubtitle() {
    var sub = $("chat-subtitle");
    if (!state.waId) { sub.textContent = ""; return; }
    sub.textContent = state.typing ? t("typing") : (t("online") + " · " + prettyPhone(state.waId));
    sub.classList.toggle("typing", state.typing);
  }

  function openConversation(event) {
    if (event) { event.preventDefault(); }
    var digits = normalizePhone($("phone").value);
    var error = $("phone-error");
    if (!digits) {
      error.textContent = t("phone_invalid");
      error.hidden = false;
      $("phone").setAttribute("aria-invalid", "true");
      return;
    }
    error.hidden = true;
    $("phone").removeAttribute("aria-invalid");
    $("phone").value = digits.slice(0, 3) + " " + digits.slice(3, 6) + " " + digits.slice(6);
    state.waId = "57" + digits;
    state.name = $("name").value.trim();
    state.cursor = 0;
    state.messages = {};
    state.lastReadSeq = 0;
    state.typing = false;
    state.pollToken += 1;
    if (state.pollAbort) { state.pollAbort.abort(); }
    localStorage.setItem("wc.phone", digits);
    localStorage.setItem("wc.name", state.name);
    $("messages").querySelectorAll(".row").forEach(function (row) { row.remove(); });
    $("empty").hidden = false;
    $("empty").textContent = t("empty_open");
    $("composer").disabled = false;
    $("send").disabled = false;
    $("composer").focus();
    updateWindow();
    updateSubtitle();
    var savedRole = localStorage.getItem("wc.role." + state.waId) || "attendee";
    if ($("role").value !== savedRole) { saveRole(); }
    pollLoop(state.pollToken);
  }

  function saveRole() {
    if (!state.waId) { return; }
    var role = $("role").value;
    var label = $("role").options[$("role").selectedIndex].textContent;
    var status = $("role-status");
    setStatus(status, t("role_saving"));
    state.name = $("name").value.trim();
    api("POST", "sandbox/api/contacts/" + state.waId + "/role", { role: role, name: state.name || undefined })
      .then(function () {
        localStorage.setItem("wc.role." + state.waId, role);
        setStatus(status, t("role_saved", { role: label }), "ok");
      })
      .catch(function (error) {
        var reason = error.key && I18N[state.lang][error.key] ? t(error.key) + " — " + error.message : error.message;
        setStatus(status, t("role_error", { message: reason }), "error");
      });
  }

  function submitComposer(event) {
    if (event) { event.preventDefault(); }
    var text = $("composer").value;
    if (!state.waId || !text.trim()) { return; }
    $("composer").value = "";
    autoGrow();
    sendInbound({ type: "text", text: text });
  }

  function autoGrow() {
    var box = $("composer");
    box.style.height = "auto";
    box.style.height = Math.min(box.scrollHeight, 140) + "px";
  }

  function attachImage() {
    var input = $("file");
    var file = input.files && input.files[0];
    input.value = "";
    if (!file || !state.waId) { return; }
    if (["image/jpeg", "image/png"].indexOf(file.type) < 0) { setStatus($("tool-status"), t("image_type"), "error"); return; }
    if (file.size > MAX_IMAGE_BYTES) { setStatus($("tool-status"), t("image_too_big"), "error"); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).split(",", 2)[1] || "";
      var caption = $("composer").value.trim();
      $("composer").value = "";
      autoGrow();
      var spec = { type: "image", data: data, mime_type: file.type, filename: file.name };
      if (caption) { spec.caption = caption; }
      sendInbound(spec);
    };
    reader.readAsDataURL(file);
  }

  function toggleWindow() {
    if (!state.waId) { return; }
    api("POST", "sandbox/api/conversations/" + state.waId + "/window", { open: !state.windowOpen })
      .then(function (data) { state.windowOpen = !!data.open; updateWindow(); })
      .catch(function (error) { setStatus($("tool-status"), error.message, "error"); });
  }

  function verifyWebhook() {
    api("POST", "sandbox/api/verify", {}).then(function (data) {
      if (data.ok) { setStatus($("tool-status"), t("verify_ok"), "ok"); }
      else { setStatus($("tool-status"), t("verify_fail") + " (HTTP " + (data.status || "—") + (data.error ? ", " + data.error : "") + ")", "error"); }
    }).catch(function (error) { setStatus($("tool-status"), t("verify_fail") + ": " + error.message, "error"); });
  }

  // --- wiring ------------------------------------------------------------------------------------
  function init() {
    $("phone").value = localStorage.getItem("wc.phone") || "";
    $("name").value = localStorage.getItem("wc.name") || "";
    $("setup").addEventListener("submit", openConversation);
    $("role").addEventListener("change", saveRole);
    $("composer-form").addEventListener("submit", submitComposer);
    $("composer").addEventListener("input", autoGrow);
    $("composer").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { submitComposer(event); }
    });
    $("attach").addEventListener("click", function () { if (state.waId) { $("file").click(); } });
    $("file").addEventListener("change", attachImage);
    $("sheet-close").addEventListener("click", closeSheet);
    $("sheet").addEventListener("click", function (event) { if (event.target === $("sheet")) { closeSheet(); } });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") { closeSheet(); } });
    document.addEventListener("visibilitychange", markRead);
    $("window-toggle").addEventListener("click", toggleWindow);
    $("verify").addEventListener("click", verifyWebhook);
    $("lang").addEventListener("click", function () {
      state.lang = state.lang === "es" ? "en" : "es";
      localStorage.setItem("wc.lang", state.lang);
      applyI18n();
    });
    api("GET", "sandbox/api/config").then(function (config) {
      if (config && config.business_name) { $("business-name").textContent = config.business_name; }
      setConnection(true);
    }).catch(function () { setConnection(false); });
    applyI18n();
  }

  // Exposed for debugging in the browser console and for unit checks.
  window.WebChat = { normalizePhone: normalizePhone, formatWhatsApp: formatWhatsApp, state: state };

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();

// Progressive enhancement only: every feature works without this file.
//
// Each aid is a function below, started from start() at the end; nothing leaks out of this
// closure. The words people see come from the page (templates/forum/_toolbar.html holds them in
// a <template class="writing-kit">), because only the server can translate.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var KIT = "template.writing-kit";

  function toArray(list) {
    return Array.prototype.slice.call(list || []);
  }

  // The kit inside the form (a fetched composer brings its own), else the page's.
  function kitFor(form) {
    return (form && form.querySelector(KIT)) || document.querySelector(KIT);
  }

  function fromKit(kit, selector) {
    var part = kit && kit.content.querySelector(selector);
    return part ? part.cloneNode(true) : null;
  }

  function pathOf(url) {
    return new URL(url || location.href, location.href).pathname;
  }

  // The URL a form posts to (getAttribute: a field named "action" would hide form.action).
  function actionOf(form) {
    return pathOf(form.getAttribute("action") || location.href);
  }

  function bodyOf(form) {
    return form.querySelector("textarea[name=body]") || form.querySelector("textarea");
  }


  // ---------------------------------------------------------------------------------------
  // Markdown toolbar: buttons that wrap the selection, or insert a selected placeholder.

  var INLINE_MARKS = { bold: "**", italic: "_" };
  var LINE_PREFIXES = { list: "- ", quote: "> " };
  var SHORTCUTS = { b: "bold", i: "italic", k: "link" };

  // Replaces value[from, to) with text and selects [from + selectFrom, from + selectTo).
  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  function replaceText(textarea, from, to, text, selectFrom, selectTo) {
    textarea.focus();
    textarea.setSelectionRange(from, to);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (error) {
      done = false;
    }
    if (!done) {
      textarea.setRangeText(text, from, to, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(from + selectFrom, from + selectTo);
  }

  // The selection without the spaces a double click takes along with a word.
  function trimmedSelection(textarea) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    while (start < end && /\s/.test(value[start])) start++;
    while (end > start && /\s/.test(value[end - 1])) end--;
    return { value: value, start: start, end: end, text: value.slice(start, end) };
  }

  function wrapInline(textarea, mark, placeholder) {
    var s = trimmedSelection(textarea);
    var n = mark.length;
    // Pressed again on marked text: the marks go.
    if (s.start >= n && s.value.slice(s.start - n, s.start) === mark &&
        s.value.slice(s.end, s.end + n) === mark) {
      replaceText(textarea, s.start - n, s.end + n, s.text, 0, s.text.length);
      return;
    }
    if (s.text.length > 2 * n && s.text.slice(0, n) === mark && s.text.slice(-n) === mark) {
      var inner = s.text.slice(n, -n);
      replaceText(textarea, s.start, s.end, inner, 0, inner.length);
      return;
    }
    var text = s.text || placeholder;
    replaceText(textarea, s.start, s.end, mark + text + mark, n, n + text.length);
  }

  // Whole lines around the selection (a selection ending at a line break stops before it).
  function selectedLines(textarea) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    if (end > start && value[end - 1] === "\n") end--;
    var from = value.lastIndexOf("\n", start - 1) + 1;
    var to = value.indexOf("\n", end);
    if (to < 0) to = value.length;
    return { from: from, to: to, lines: value.slice(from, to).split("\n") };
  }

  function prefixLines(textarea, prefix, placeholder) {
    var block = selectedLines(textarea);
    var lines = block.lines;
    var text;
    if (lines.length === 1 && !lines[0].trim()) {
      text = prefix + placeholder;
      replaceText(textarea, block.from, block.to, text, prefix.length, text.length);
      return;
    }
    var marked = lines.every(function (line) {
      return !line.trim() || line.indexOf(prefix.trim()) === 0;
    });
    if (marked) {
      text = lines.map(function (line) {
        return line.indexOf(prefix) === 0 ? line.slice(prefix.length) : line.replace(prefix.trim(), "");
      }).join("\n");
    } else {
      text = lines.map(function (line) {
        // A blank line inside a quotation stays part of it; in a list it just separates.
        return line.trim() ? prefix + line : prefix === "> " ? ">" : line;
      }).join("\n");
    }
    replaceText(textarea, block.from, block.to, text, 0, text.length);
  }

  function formatCode(textarea, placeholder) {
    var s = trimmedSelection(textarea);
    if (s.text.indexOf("\n") < 0) {
      wrapInline(textarea, s.text.indexOf("`") < 0 ? "`" : "``", placeholder);
      return;
    }
    var block = selectedLines(textarea);
    var code = block.lines.join("\n");
    replaceText(textarea, block.from, block.to, "```\n" + code + "\n```", 4, 4 + code.length);
  }

  // [text](address), or ![description](address) for an image; what remains to type is selected.
  function formatLink(textarea, bang, placeholder) {
    var s = trimmedSelection(textarea);
    var text;
    if (/^(https?:\/\/|mailto:)\S+$/.test(s.text)) {
      text = bang + "[" + placeholder + "](" + s.text + ")";
      replaceText(textarea, s.start, s.end, text, bang.length + 1, bang.length + 1 + placeholder.length);
      return;
    }
    var label = s.text || placeholder;
    var address = "https://";
    text = bang + "[" + label + "](" + address + ")";
    var labelStart = bang.length + 1;
    if (s.text) {
      var addressStart = labelStart + label.length + 2;
      replaceText(textarea, s.start, s.end, text, addressStart, addressStart + address.length);
    } else {
      replaceText(textarea, s.start, s.end, text, labelStart, labelStart + label.length);
    }
  }

  function applyFormat(textarea, action, placeholder) {
    if (INLINE_MARKS[action]) wrapInline(textarea, INLINE_MARKS[action], placeholder);
    else if (LINE_PREFIXES[action]) prefixLines(textarea, LINE_PREFIXES[action], placeholder);
    else if (action === "code") formatCode(textarea, placeholder);
    else if (action === "link") formatLink(textarea, "", placeholder);
    else if (action === "image") formatLink(textarea, "!", placeholder);
  }

  // One tab stop for the whole toolbar; arrow keys move along it, mirrored right to left.
  function rovingFocus(toolbar, buttons) {
    function activate(button) {
      buttons.forEach(function (other) {
        other.tabIndex = other === button ? 0 : -1;
      });
    }
    activate(buttons[0]);
    toolbar.addEventListener("focusin", function (event) {
      if (buttons.indexOf(event.target) >= 0) activate(event.target);
    });
    toolbar.addEventListener("keydown", function (event) {
      var index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      var step = getComputedStyle(toolbar).direction === "rtl" ? -1 : 1;
      var next;
      if (event.key === "ArrowRight") next = index + step;
      else if (event.key === "ArrowLeft") next = index - step;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = buttons.length - 1;
      else return;
      event.preventDefault();
      buttons[(next + buttons.length) % buttons.length].focus();
    });
  }

  // ---------------------------------------------------------------------------------------
  // The toolbar's image button: a picture chosen is sent at once (POST /uploads, which answers
  // with its key and the Markdown that shows it); the key joins the form's "attached" field,
  // so the file is attached to the post, and the Markdown goes where the cursor is. Without
  // this, the form's own file input attaches pictures as before.

  function uploadTarget(textarea, button) {
    var form = textarea.form;
    if (!form || !button.dataset.upload || !window.fetch || !window.FormData) return null;
    var attached = form.querySelector("input[name=attached]");
    var token = form.querySelector("input[name=csrf_token]");
    return attached && token ? { form: form, attached: attached, token: token } : null;
  }

  // The line under the text box saying what happens to the pictures sent (a live region).
  function uploadStatus(textarea) {
    var field = textarea.closest(".field") || textarea.parentNode;
    var status = field.querySelector(".upload-status");
    if (!status) {
      status = document.createElement("div");
      status.className = "upload-status";
      status.setAttribute("role", "status");
      field.appendChild(status);
    }
    return status;
  }

  function say(status, text, failed) {
    status.textContent = "";
    status.classList.toggle("is-error", Boolean(failed));
    var line = document.createElement("p");
    line.textContent = text;
    status.appendChild(line);
  }

  function showSent(status, button, names) {
    say(status, button.dataset.sent, false);
    var list = document.createElement("ul");
    names.forEach(function (name) {
      var item = document.createElement("li");
      var shown = document.createElement("bdi");
      shown.textContent = name;
      item.appendChild(shown);
      list.appendChild(item);
    });
    status.appendChild(list);
  }

  function addKey(input, key) {
    var keys = input.value.split(/[\s,]+/).filter(Boolean);
    if (keys.indexOf(key) < 0) keys.push(key);
    input.value = keys.join(" ");
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // ![description](address) where the cursor is, on a line of its own, its description
  // selected so that a better one can be typed over it.
  function insertImage(textarea, sent) {
    var s = trimmedSelection(textarea);
    var alt = s.text && s.text.indexOf("\n") < 0 ? s.text.replace(/[\[\]]/g, "") : "";
    var markdown = sent.markdown;
    if (alt) {
      markdown = markdown.replace(/^(!?)\[.*\]\(/, function (whole, bang) {
        return bang + "[" + alt + "](";
      });
    }
    var before = s.value.slice(0, s.start);
    var after = s.value.slice(s.end);
    var lead = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = !after ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    var open = markdown.indexOf("[") + 1;
    var close = markdown.lastIndexOf("](");
    replaceText(textarea, s.start, s.end, lead + markdown + tail, lead.length + open,
      lead.length + close);
  }

  function sendPicture(textarea, button, target, file) {
    var status = uploadStatus(textarea);
    say(status, button.dataset.sending, false);
    button.setAttribute("aria-busy", "true");
    var data = new FormData();
    data.append("csrf_token", target.token.value);
    data.append("files", file, file.name);
    fetch(button.dataset.upload, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().catch(function () {
          return {}; // an error page (too large, too many at once): the message below
        }).then(function (answer) {
          if (!response.ok || !answer.files || !answer.files.length) {
            throw new Error(answer.error || button.dataset.failed);
          }
          return answer.files[0];
        });
      })
      .then(function (sent) {
        addKey(target.attached, sent.key);
        var names = toArray(status.querySelectorAll("li bdi")).map(function (name) {
          return name.textContent;
        });
        names.push(sent.name);
        insertImage(textarea, sent);
        showSent(status, button, names);
      })
      .catch(function (error) {
        say(status, (error && error.message) || button.dataset.failed, true);
        textarea.focus();
      })
      .then(function () {
        button.removeAttribute("aria-busy");
      });
  }

  function pickPicture(textarea, button) {
    var target = uploadTarget(textarea, button);
    if (!target) return false;
    if (button.getAttribute("aria-busy") === "true") return true;
    uploadStatus(textarea); // the live region is in the page before it has news
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = button.dataset.accept || "image/*";
    picker.hidden = true;
    picker.className = "image-picker";
    picker.addEventListener("change", function () {
      var file = picker.files && picker.files[0];
      picker.remove();
      if (file) sendPicture(textarea, button, target, file);
    });
    // In the page while it is open (a picker outside the document may not open), but in no
    // form: it has no name and is never sent with one.
    document.body.appendChild(picker);
    picker.addEventListener("cancel", function () {
      picker.remove();
    });
    picker.click();
    return true;
  }

  function markdownToolbar(textarea, kit) {
    var toolbar = fromKit(kit, ".md-toolbar");
    if (!toolbar || !textarea.id) return;
    var buttons = toArray(toolbar.querySelectorAll("button[data-md]"));
    if (!buttons.length) return;
    toolbar.setAttribute("aria-controls", textarea.id);
    textarea.parentNode.insertBefore(toolbar, textarea);
    rovingFocus(toolbar, buttons);
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-md]");
      if (!button) return;
      if (button.dataset.md === "image" && pickPicture(textarea, button)) return;
      applyFormat(textarea, button.dataset.md, button.dataset.placeholder);
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var action = SHORTCUTS[event.key.toLowerCase()];
      var button = action && toolbar.querySelector('[data-md="' + action + '"]');
      if (!button) return;
      event.preventDefault();
      applyFormat(textarea, action, button.dataset.placeholder);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Drafts: what is typed into a composer is kept in this browser until it is posted.
  //
  // localStorage["brain-draft:<member>:<path the form posts to>"] = {fields, saved}.
  // A submitted form's key is noted in sessionStorage (this tab only); the next page decides:
  // a page that loaded fine and does not show that form with errors means the post was
  // accepted, and the draft goes. An error page or the form with its errors keeps it.

  var DRAFT_PREFIX = "brain-draft:";
  var SENT = "brain-draft-sent";
  var DRAFT_LIFETIME = 30 * 24 * 3600 * 1000;
  var SAVE_DELAY = 400;
  var NEVER_KEPT = ["csrf_token", "submission"];
  // The version an edit started from: restoring it with the text lets the server notice
  // that the post changed since (an edit conflict) instead of overwriting the change. The
  // keys of the files already sent (the image button, a preview) go with the text that
  // shows them.
  var KEPT_HIDDEN = ["version", "attached"];
  var UNKEPT_TYPES = ["password", "file", "submit", "button", "image", "reset"];

  function openStorage(name) {
    try {
      var store = window[name];
      store.setItem("brain-probe", "1");
      store.removeItem("brain-probe");
      return store;
    } catch (error) {
      return null; // disabled, full, or a private window: no drafts, the forms still work
    }
  }

  var local = openStorage("localStorage");
  var session = openStorage("sessionStorage");
  // Off once the member logs out, so that a last save as the page goes does not undo it.
  var keeping = Boolean(local);

  function readJSON(store, key) {
    try {
      return JSON.parse(store.getItem(key));
    } catch (error) {
      return null;
    }
  }

  function writeJSON(store, key, value) {
    try {
      store.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Full: this draft is not kept; typing goes on undisturbed.
    }
  }

  function draftKey(form, kit) {
    return DRAFT_PREFIX + (kit.dataset.owner || "") + ":" + actionOf(form);
  }

  function keptFields(form) {
    return toArray(form.elements).filter(function (element) {
      if (!element.name || element.disabled || NEVER_KEPT.indexOf(element.name) >= 0) return false;
      if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
      if (element.tagName !== "INPUT") return false;
      if (element.type === "hidden") return KEPT_HIDDEN.indexOf(element.name) >= 0;
      return UNKEPT_TYPES.indexOf(element.type) < 0;
    });
  }

  function snapshot(form) {
    var fields = {};
    keptFields(form).forEach(function (element) {
      var values = fields[element.name] || (fields[element.name] = []);
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) values.push(element.value);
      } else if (element.tagName === "SELECT") {
        toArray(element.selectedOptions).forEach(function (option) {
          values.push(option.value);
        });
      } else {
        values.push(element.value);
      }
    });
    return fields;
  }

  function fillIn(form, fields) {
    var used = {};
    keptFields(form).forEach(function (element) {
      if (!Object.prototype.hasOwnProperty.call(fields, element.name)) return;
      var values = fields[element.name];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.indexOf(element.value) >= 0;
      } else if (element.tagName === "SELECT") {
        toArray(element.options).forEach(function (option) {
          option.selected = values.indexOf(option.value) >= 0;
        });
      } else {
        var index = used[element.name] || 0;
        if (index < values.length) element.value = values[index];
        used[element.name] = index + 1;
      }
    });
  }

  function sameFields(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // The page answers a refused submission: an error page, a 4xx status (an edit conflict
  // shows the form again with 409), or the form showing its errors.
  function pageFailed() {
    var entry = window.performance && performance.getEntriesByType &&
      performance.getEntriesByType("navigation")[0];
    var status = entry && entry.responseStatus;
    return status >= 400 || Boolean(document.querySelector(".error-page"));
  }

  function showsRefusal(form) {
    return pageFailed() || Boolean(form.querySelector(".errors, [aria-invalid=true]"));
  }

  // What this tab sent from the page before, as [{key, preview}]; read once as a page starts.
  var submitted = [];

  function takeSubmissions() {
    if (!session) return [];
    var sent = readJSON(session, SENT);
    session.removeItem(SENT);
    return (Array.isArray(sent) ? sent : []).filter(function (entry) {
      return entry && typeof entry.key === "string" && entry.key.indexOf(DRAFT_PREFIX) === 0;
    });
  }

  // A post that was sent (not previewed) and not refused was accepted: its draft goes.
  function settleSentDrafts(refusedKeys) {
    if (!local || pageFailed()) return;
    submitted.forEach(function (entry) {
      if (!entry.preview && refusedKeys.indexOf(entry.key) < 0) local.removeItem(entry.key);
    });
  }

  function wasPreviewed(key) {
    return submitted.some(function (entry) {
      return entry.key === key && entry.preview;
    });
  }

  function noteSubmission(key, preview) {
    if (!session) return;
    var sent = readJSON(session, SENT);
    sent = Array.isArray(sent) ? sent : [];
    sent.push({ key: key, preview: preview });
    writeJSON(session, SENT, sent);
  }

  function forgetDrafts(olderThan) {
    if (!local) return;
    var keys = [];
    for (var i = 0; i < local.length; i++) {
      var key = local.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) keys.push(key);
    }
    keys.forEach(function (key) {
      var draft = readJSON(local, key);
      if (olderThan === undefined || !draft || !(draft.saved > olderThan)) local.removeItem(key);
    });
  }

  // Logging out leaves nothing of the member's writing behind in a shared browser.
  function forgetDraftsOnLogout() {
    document.addEventListener("submit", function (event) {
      if (!/\/logout$/.test(actionOf(event.target))) return;
      keeping = false;
      forgetDrafts();
    }, true);
  }

  function showDraftNotice(form, kit, onDiscard) {
    var notice = fromKit(kit, ".draft-notice");
    if (!notice) return;
    var textarea = bodyOf(form);
    var anchor = (textarea && textarea.closest(".field")) || form.firstElementChild;
    form.insertBefore(notice, anchor);
    notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
      onDiscard();
      notice.remove();
      if (textarea) textarea.focus();
    });
  }

  function keepDrafts(form, kit) {
    if (!local) return;
    var key = draftKey(form, kit);
    var shown = snapshot(form);
    // After a preview or a refused submission the form holds the member's text, not a fresh
    // form: keep saving it even when it matches what the page came with.
    var pristine = showsRefusal(form) || wasPreviewed(key) ? null : shown;
    var timer = null;

    function save() {
      window.clearTimeout(timer);
      timer = null;
      if (!keeping) return;
      var fields = snapshot(form);
      if (pristine && sameFields(fields, pristine)) local.removeItem(key);
      else writeJSON(local, key, { fields: fields, saved: Date.now() });
    }

    function saveSoon() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY);
    }

    var draft = readJSON(local, key);
    if (draft && draft.fields && !sameFields(draft.fields, shown)) {
      if (pristine) {
        fillIn(form, draft.fields);
        showDraftNotice(form, kit, function () {
          fillIn(form, pristine);
          local.removeItem(key);
        });
      } else {
        save(); // the text the server just showed back is the newest
      }
    }

    form.addEventListener("input", saveSoon);
    form.addEventListener("change", saveSoon);
    form.addEventListener("brain:save-draft", save);
    window.addEventListener("pagehide", function () {
      if (timer) save();
    });
    form.addEventListener("submit", function (event) {
      save();
      noteSubmission(key, Boolean(event.submitter && event.submitter.name === "preview"));
    });
  }

  // ---------------------------------------------------------------------------------------
  // Files dropped onto a composer go into its <input type="file" data-drop>.

  var THUMBNAIL = 96;
  var LARGEST_PREVIEWED = 25 * 1024 * 1024;

  function carriesFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return Boolean(types) && toArray(types).indexOf("Files") >= 0;
  }

  // Drawn on a canvas rather than shown from a blob: URL, which the CSP (img-src 'self')
  // rightly refuses.
  function drawThumbnail(file, canvas) {
    createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, THUMBNAIL / Math.max(bitmap.width, bitmap.height));
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
    }).catch(function () {
      canvas.remove(); // not an image the browser can read; the server will say why
    });
  }

  function listChosenFiles(input, list) {
    list.textContent = "";
    toArray(input.files).forEach(function (file) {
      var item = document.createElement("li");
      if (/^image\//.test(file.type) && window.createImageBitmap && file.size <= LARGEST_PREVIEWED) {
        var canvas = document.createElement("canvas");
        canvas.className = "drop-thumb";
        canvas.width = canvas.height = 1;
        canvas.setAttribute("aria-hidden", "true");
        item.appendChild(canvas);
        drawThumbnail(file, canvas);
      }
      var name = document.createElement("bdi");
      name.textContent = file.name;
      item.appendChild(name);
      list.appendChild(item);
    });
  }

  function addFiles(input, files) {
    var chosen = new DataTransfer();
    if (input.multiple) {
      toArray(input.files).forEach(function (file) {
        chosen.items.add(file);
      });
    }
    toArray(files).slice(0, input.multiple ? files.length : 1).forEach(function (file) {
      chosen.items.add(file);
    });
    input.files = chosen.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function dropFiles(input) {
    if (input.dataset.dropReady || !window.DataTransfer) return;
    input.dataset.dropReady = "true";
    var form = input.form || input.closest("form");
    var zone = form || input.parentNode;
    var field = input.closest(".field") || input.parentNode;
    field.classList.add("drop-zone");

    var list = document.createElement("ul");
    list.className = "drop-files";
    list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    var hint = fromKit(kitFor(form), ".drop-hint");
    if (hint) input.insertAdjacentElement("afterend", hint);
    input.addEventListener("change", function () {
      listChosenFiles(input, list);
    });
    if (input.files && input.files.length) listChosenFiles(input, list);

    if (zone.dataset.dropZone) return; // one input per zone takes the drops
    zone.dataset.dropZone = "true";
    var depth = 0;
    zone.addEventListener("dragenter", function (event) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth += 1;
      zone.classList.add("is-dragover");
    });
    zone.addEventListener("dragover", function (event) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", function (event) {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("is-dragover");
    });
    zone.addEventListener("drop", function (event) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      zone.classList.remove("is-dragover");
      addFiles(input, event.dataTransfer.files);
    });
  }

  // A file dropped just beside the composer would replace the page with the file.
  function ignoreStrayDrops() {
    ["dragover", "drop"].forEach(function (type) {
      window.addEventListener(type, function (event) {
        if (!event.defaultPrevented && carriesFiles(event) &&
            document.querySelector("input[data-drop]")) {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = "none";
        }
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Enhancing a composer form, on load or when one is opened in place.

  function isComposer(form) {
    return form.classList.contains("composer") || Boolean(form.querySelector(KIT));
  }

  function enhanceForm(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    var kit = kitFor(form);
    if (kit) {
      var textarea = bodyOf(form);
      if (textarea) markdownToolbar(textarea, kit);
      keepDrafts(form, kit);
    }
    toArray(form.querySelectorAll("input[type=file][data-drop]")).forEach(dropFiles);
  }

  // ---------------------------------------------------------------------------------------
  // "Reply" under a post opens the reply form right there; "Quote" does too, the post quoted
  // in it (or, when a composer for that post is open already, adds the quotation to it).
  // The links still lead to the reply page when this cannot be done.

  function prefixIds(root, prefix) {
    toArray(root.querySelectorAll("[id]")).forEach(function (element) {
      element.id = prefix + element.id;
    });
    toArray(root.querySelectorAll("label[for]")).forEach(function (label) {
      label.htmlFor = prefix + label.htmlFor;
    });
    ["aria-describedby", "aria-labelledby", "aria-controls"].forEach(function (name) {
      toArray(root.querySelectorAll("[" + name + "]")).forEach(function (element) {
        var ids = element.getAttribute(name).trim().split(/\s+/);
        element.setAttribute(name, ids.map(function (id) {
          return prefix + id;
        }).join(" "));
      });
    });
  }

  function focusBody(container) {
    var textarea = bodyOf(container);
    if (!textarea) return;
    textarea.focus({ preventScroll: true });
    textarea.scrollIntoView({ block: "nearest" });
  }

  function closeInlineReply(box, link) {
    var form = box.querySelector("form");
    if (form) form.dispatchEvent(new Event("brain:save-draft"));
    box.remove();
    link.setAttribute("aria-expanded", "false");
    link.focus();
  }

  // The quotation the reply page was written with (?quote=1 fills its text box).
  function quotationIn(page) {
    var fetched = page.querySelector("main form.composer");
    var textarea = fetched && bodyOf(fetched);
    return textarea ? textarea.value : "";
  }

  // Adds *quotation* at the end of the composer's text (after what was already written),
  // once; the cursor goes after it, where the answer is written.
  function addQuotation(form, quotation) {
    var textarea = bodyOf(form);
    if (!textarea || !quotation.trim()) return;
    if (textarea.value.indexOf(quotation.trim()) >= 0) {
      focusBody(form);
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      return;
    }
    var kept = textarea.value.replace(/\s+$/, "");
    var text = (kept ? "\n\n" : "") + quotation;
    replaceText(textarea, kept.length, textarea.value.length, text, text.length, text.length);
    textarea.scrollIntoView({ block: "nearest" });
  }

  function openInlineReply(link, post, page) {
    var fetched = page.querySelector("main form.composer");
    if (!fetched) return false;
    var quotation = link.classList.contains("js-quote") ? quotationIn(page) : "";
    var form = document.importNode(fetched, true);
    var box = document.createElement("section");
    box.className = "inline-reply";
    box.id = post.id + "-reply";
    var heading = document.createElement("h2");
    heading.id = box.id + "-heading";
    var title = page.querySelector("main h1");
    heading.textContent = title ? title.textContent.trim() : link.textContent.trim();
    box.setAttribute("aria-labelledby", heading.id);
    prefixIds(form, box.id + "-");
    toArray(form.querySelectorAll("[autofocus]")).forEach(function (element) {
      element.removeAttribute("autofocus");
    });
    box.appendChild(heading);
    box.appendChild(form);

    var cancel = fromKit(kitFor(form), "[data-reply-cancel]");
    var actions = form.querySelector(".actions");
    if (cancel && actions) {
      actions.appendChild(cancel);
      cancel.addEventListener("click", function () {
        closeInlineReply(box, link);
      });
    }
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.isComposing) {
        event.preventDefault();
        closeInlineReply(box, link);
      }
    });

    post.appendChild(box);
    link.setAttribute("aria-controls", box.id);
    link.setAttribute("aria-expanded", "true");
    enhanceForm(form);
    focusBody(box);
    // A draft restored over the quotation keeps it all the same.
    if (quotation) addQuotation(form, quotation);
    return true;
  }

  function replyInPlace() {
    if (!window.fetch || !window.DOMParser) return;
    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
          event.shiftKey || event.altKey) return;
      var link = event.target.closest("a.js-reply, a.js-quote");
      var post = link && link.closest("article");
      if (!post || !post.id) return;
      event.preventDefault();
      var quoting = link.classList.contains("js-quote");

      var open = document.getElementById(post.id + "-reply");
      // Answering the opening post is what the reply box under the thread is for.
      var target = pathOf(link.href);
      var existing = (open && open.querySelector("form")) ||
        toArray(document.querySelectorAll("form.composer")).filter(function (form) {
          return actionOf(form) === target;
        })[0];
      if (existing && !quoting) {
        focusBody(existing);
        return;
      }
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          // Sent to the login page, or refused: the reply page itself says what to do.
          if (!response.ok || pathOf(response.url) !== target) throw new Error(response.url);
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          if (existing && existing.isConnected) {
            focusBody(existing);
            addQuotation(existing, quotationIn(page));
          } else if (!openInlineReply(link, post, page)) {
            throw new Error("no reply form");
          }
        })
        .catch(function () {
          location.assign(link.href);
        })
        .then(function () {
          link.removeAttribute("aria-busy");
        });
    });
  }

  // ---------------------------------------------------------------------------------------
  // "Jump to the reply box" lands in the text box itself, not only beside it.

  function jumpToReply() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a.jump-to-reply");
      if (!link || !link.hash) return;
      var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      var box = target && (target.closest("section, form") || target);
      var textarea = box && bodyOf(box);
      if (!textarea) return;
      event.preventDefault();
      target.scrollIntoView({ block: "start" });
      textarea.focus({ preventScroll: true });
    });
  }

  // ---------------------------------------------------------------------------------------

  function start() {
    var forms = toArray(document.querySelectorAll("form")).filter(isComposer);
    var withErrors = [];
    forms.forEach(function (form) {
      var kit = kitFor(form);
      if (kit && showsRefusal(form)) withErrors.push(draftKey(form, kit));
    });
    submitted = takeSubmissions();
    settleSentDrafts(withErrors);
    forgetDrafts(Date.now() - DRAFT_LIFETIME);
    forms.forEach(enhanceForm);
    toArray(document.querySelectorAll("input[type=file][data-drop]")).forEach(dropFiles);
    ignoreStrayDrops();
    replyInPlace();
    jumpToReply();
    forgetDraftsOnLogout();
  }

  start();
})();

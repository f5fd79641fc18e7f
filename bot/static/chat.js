// The web chat page: Rasa's socket.io channel protocol, history after a reload, photos.
// Every text from people or the bot is shown with text nodes, never parsed as HTML.
"use strict";
(() => {
  const SESSION_KEY = "linli-session";
  const LANGUAGE_KEY = "linli-language";
  const MAX_PHOTO = 5 * 1024 * 1024;
  const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  const BATCH_MS = 2000;  // bot messages this close together answer the same thing
  // Ticket numbers and times ("12-04 08:30") are read as one piece: they never break.
  const UNBREAKABLE = /[A-Z]{2}-\d{8}-\d{4}|\d{1,2}-\d{1,2} \d{1,2}:\d{2}/g;
  // A file Linli made for the resident (their data export): a download link on this page.
  const DOWNLOAD = /\/media\/[\w-]+/g;

  const TEXT = {
    zh: {
      title: "邻里 · 社区服务", other: "English", otherLanguage: "en",
      placeholder: "说说您的情况…", send: "发送", photo: "发照片", quick: "常用",
      message: "消息",
      greeting: "您好！我是邻里小助手。报修、投诉、查进度、问事情，点下面的按钮或直接打字都可以。",
      offline: "网络断了，正在重新连接…",
      reportPrompt: "请说说哪里坏了、在几号楼，比如：“5号楼2单元楼道灯不亮了”。" +
        "有照片可以点左下角的相机按钮发过来。",
      complaintPrompt: "请说说您要投诉什么、在哪里，比如：“3号楼楼下晚上广场舞声音太大”。",
      tooLarge: "照片太大了（最多 5 MB），请换一张。",
      badType: "只能发 JPG、PNG 或 WebP 格式的照片。",
      uploadFailed: "照片没发出去，请稍后再试。",
      slowDown: "您发得有点快，请稍等一会儿再发照片。",
      photoAlt: "照片",
    },
    en: {
      title: "Linli · Community help", other: "中文", otherLanguage: "zh",
      placeholder: "Tell us what's up…", send: "Send", photo: "Send a photo", quick: "Shortcuts",
      message: "message",
      greeting: "Hi! I'm Linli, your community helper. Report a repair, make a complaint, " +
        "check on a request or ask a question: tap a button below or just type.",
      offline: "Connection lost, reconnecting…",
      reportPrompt: "Please tell me what is broken and in which building, e.g. \"The stairwell " +
        "light in Building 5, Unit 2 is out\". To send a photo, tap the camera button.",
      complaintPrompt: "Please tell me what the complaint is about and where, e.g. \"Loud " +
        "music every night outside Building 3\".",
      tooLarge: "That photo is too large (5 MB at most): please choose another.",
      badType: "Please send a JPG, PNG or WebP photo.",
      uploadFailed: "The photo didn't go through. Please try again later.",
      slowDown: "You're sending a little fast: please wait a moment, then send the photo again.",
      photoAlt: "photo",
    },
  };

  const params = new URLSearchParams(location.search);
  const chosen = params.get("lang");
  if (chosen) localStorage.setItem(LANGUAGE_KEY, chosen);
  const wanted = chosen || localStorage.getItem(LANGUAGE_KEY) || navigator.language || "zh";
  const language = wanted.toLowerCase().startsWith("en") ? "en" : "zh";
  const t = TEXT[language];

  // Shortcuts: a report or complaint needs the resident's own words, so those two ask for
  // them; the others are Rasa payloads the bot answers directly.
  const QUICK = [
    {zh: "报修", en: "Repair", prompt: "reportPrompt"},
    {zh: "投诉", en: "Complaint", prompt: "complaintPrompt"},
    {zh: "查进度", en: "My requests", intent: "ticket_status"},
    {zh: "活动", en: "Events", intent: "event_list"},
    {zh: "找人工", en: "Talk to staff", intent: "request_human"},
  ];
  const titles = new Map();  // payload → the words on its button, to show what was chosen
  for (const entry of QUICK) {
    if (!entry.intent) continue;
    for (const lang of ["zh", "en"]) {
      titles.set(`/${entry.intent}{"language": "${lang}"}`, entry[lang]);
    }
  }

  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const input = $("text");
  const status = $("status");
  let session = localStorage.getItem(SESSION_KEY);
  let confirmed = false;
  let waiting = [];  // messages typed before the session was confirmed
  let readyWaiters = [];
  let batchOpen = false;
  let lastBotAt = 0;

  // -- showing things ----------------------------------------------------------------------

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function place(element) {
    log.appendChild(element);
    scrollToEnd();
  }

  function withDownloads(div, text) {
    let last = 0;
    for (const match of text.matchAll(DOWNLOAD)) {
      div.append(text.slice(last, match.index));
      const link = document.createElement("a");
      link.href = match[0];
      link.download = "";
      link.textContent = match[0];
      div.append(link);
      last = match.index + match[0].length;
    }
    div.append(text.slice(last));
  }

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    let last = 0;
    for (const match of text.matchAll(UNBREAKABLE)) {
      withDownloads(div, text.slice(last, match.index));
      const piece = document.createElement("span");
      piece.className = /^[A-Z]/.test(match[0]) ? "nowrap ticket" : "nowrap";
      piece.textContent = match[0];
      div.append(piece);
      last = match.index + match[0].length;
    }
    withDownloads(div, text.slice(last));
    return div;
  }

  function picture(src, who) {
    const image = document.createElement("img");
    image.className = "msg " + who;
    image.alt = t.photoAlt;
    image.addEventListener("load", scrollToEnd);
    image.src = src;
    return image;
  }

  function ownMedia(src) {
    return typeof src === "string" && src.startsWith("/media/");
  }

  // Buttons answer the latest question only: whatever the resident does, and any bot message
  // that is not part of the same answer, retires the older ones.
  function retireButtons() {
    for (const button of log.querySelectorAll(".buttons button:not(:disabled)")) {
      button.disabled = true;
    }
  }

  function buttonRow(replies) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const reply of replies) {
      if (!reply || typeof reply.title !== "string") continue;
      const payload = typeof reply.payload === "string" ? reply.payload : reply.title;
      titles.set(payload, reply.title);
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = reply.title;
      button.addEventListener("click", () => {
        if (button.disabled) return;
        button.classList.add("chosen");
        say(payload, reply.title);
      });
      row.appendChild(button);
    }
    return row;
  }

  function showBot(message, at = Date.now()) {
    if (!batchOpen || at - lastBotAt > BATCH_MS) retireButtons();
    batchOpen = true;
    lastBotAt = at;
    if (typeof message.text === "string" && message.text) place(bubble(message.text, "bot"));
    const replies = message.quick_replies || message.buttons;
    if (Array.isArray(replies) && replies.length) place(buttonRow(replies));
    const attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload &&
        ownMedia(attachment.payload.src)) {
      place(picture(attachment.payload.src, "bot"));
    }
  }

  function residentActs() {
    retireButtons();
    batchOpen = false;
  }

  function showMine(message) {
    residentActs();
    if (typeof message.text === "string" && message.text) {
      place(bubble(titles.get(message.text) || message.text, "me"));
    }
    const attachment = message.attachment;
    if (attachment && attachment.payload && ownMedia(attachment.payload.src)) {
      place(picture(attachment.payload.src, "me"));
    }
  }

  function note(text) {
    place(bubble(text, "bot note"));
  }

  // -- talking -----------------------------------------------------------------------------

  const socket = io({autoConnect: false, transports: ["websocket", "polling"],
                     tryAllTransports: true});

  function ready() {
    return confirmed ? Promise.resolve() : new Promise((resolve) => readyWaiters.push(resolve));
  }

  function say(message, shown) {
    residentActs();
    place(bubble(shown ?? message, "me"));
    if (confirmed) socket.emit("user_uttered", {message, session_id: session});
    else waiting.push(message);
  }

  socket.on("connect", () => {
    socket.emit("session_request", {session_id: session});
  });

  socket.on("session_confirm", (data) => {
    const id = typeof data === "string" ? data : data && data.session_id;
    if (typeof id !== "string" || !id) return;
    session = id;
    localStorage.setItem(SESSION_KEY, id);
    confirmed = true;
    status.hidden = true;
    for (const message of waiting) socket.emit("user_uttered", {message, session_id: session});
    waiting = [];
    for (const resolve of readyWaiters) resolve();
    readyWaiters = [];
  });

  socket.on("bot_uttered", (message) => {
    if (message && typeof message === "object") showBot(message);
  });

  function offline() {
    confirmed = false;
    status.textContent = t.offline;
    status.hidden = false;
  }

  socket.on("disconnect", offline);
  socket.on("connect_error", offline);  // socket.io keeps trying; the page says so

  // -- photos ------------------------------------------------------------------------------

  // Photos are redrawn as a JPEG of at most 1600 pixels: small enough for a slow phone
  // connection, and without the camera's hidden details (where it was taken).
  async function shrink(file) {
    if (!window.createImageBitmap) return file;
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG gets a white ground, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      return blob || file;
    } catch (error) {
      return file;
    }
  }

  async function sendPhoto(file) {
    if (!PHOTO_TYPES.includes(file.type)) {
      note(t.badType);
      return;
    }
    residentActs();
    const body = await shrink(file);
    if (body.size > MAX_PHOTO) {
      note(t.tooLarge);
      return;
    }
    await ready();
    let reply;
    try {
      reply = await fetch("/chat/upload", {
        method: "POST", body,
        headers: {"Content-Type": body.type || file.type, "X-Linli-Session": session},
      });
    } catch (error) {
      note(t.uploadFailed);
      return;
    }
    const answer = await reply.json().catch(() => ({}));
    if (!reply.ok) {
      note(answer.error === "too_large" ? t.tooLarge :
           answer.error === "type" ? t.badType :
           answer.error === "rate" ? t.slowDown : t.uploadFailed);
      return;
    }
    if (ownMedia(answer.photo)) place(picture(answer.photo, "me"));
    for (const message of answer.messages || []) showBot(message);
  }

  // -- the page ----------------------------------------------------------------------------

  async function showHistory() {
    if (!session) return;
    let reply;
    try {
      reply = await fetch("/chat/history", {headers: {"X-Linli-Session": session}});
    } catch (error) {
      return;
    }
    if (reply.status === 401) {  // not a session of this server: start a new one
      session = null;
      localStorage.removeItem(SESSION_KEY);
      return;
    }
    if (!reply.ok) return;
    const {messages} = await reply.json();
    for (const message of messages || []) {
      if (message.sender === "user") showMine(message);
      else showBot(message, Date.parse(message.at) || 0);
    }
    batchOpen = false;  // whatever comes next is news, and retires the buttons above
  }

  function setUp() {
    document.documentElement.lang = language === "en" ? "en" : "zh-CN";
    $("title").textContent = t.title;
    const other = $("switch");
    other.textContent = t.other;
    other.lang = t.otherLanguage;
    other.href = "?lang=" + t.otherLanguage;
    input.placeholder = t.placeholder;
    input.setAttribute("aria-label", t.message);
    $("send").textContent = t.send;
    $("photo-button").title = t.photo;
    $("photo").setAttribute("aria-label", t.photo);
    const quick = $("quick");
    quick.setAttribute("aria-label", t.quick);
    for (const entry of QUICK) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = entry[language];
      button.addEventListener("click", () => {
        if (entry.prompt) {
          residentActs();
          note(t[entry.prompt]);
          input.focus();
        } else {
          say(`/${entry.intent}{"language": "${language}"}`, entry[language]);
        }
      });
      quick.appendChild(button);
    }
    $("form").addEventListener("submit", (event) => {
      event.preventDefault();
      const message = input.value;
      if (!message.trim()) return;
      input.value = "";
      say(message);
    });
    $("photo").addEventListener("change", (event) => {
      const file = event.target.files && event.target.files[0];
      event.target.value = "";
      if (file) sendPhoto(file);
    });
  }

  async function start() {
    setUp();
    place(bubble(t.greeting, "bot"));
    await showHistory();
    socket.connect();
  }

  start();
})();

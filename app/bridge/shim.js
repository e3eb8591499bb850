// Gatehouse browser-test bridge: stands in for the Wails runtime so the generated bindings in
// frontend/wailsjs call the real Go App over HTTP (see app/bridge/bridge.go).
(() => {
  'use strict';

  // Event listeners, as in Wails' runtime/events.js: name -> [{cb, left}] where left = -1
  // means "every time".
  const listeners = new Map();

  function on(name, cb, max) {
    const l = { cb, left: max > 0 ? max : -1 };
    if (!listeners.has(name)) listeners.set(name, []);
    listeners.get(name).push(l);
    return () => off1(name, l);
  }
  function off1(name, l) {
    const ls = listeners.get(name);
    if (!ls) return;
    const i = ls.indexOf(l);
    if (i >= 0) ls.splice(i, 1);
    if (ls.length === 0) listeners.delete(name);
  }
  function notify(name, data) {
    const ls = (listeners.get(name) || []).slice();
    for (const l of ls) {
      try {
        l.cb.apply(null, data);
      } catch (e) {
        console.error(e);
      }
      if (l.left > 0 && --l.left === 0) off1(name, l);
    }
  }

  // The first call waits until the event stream is open, so an event that a call emits is
  // never missed; after 5 s calls go ahead anyway (the stream may be blocked by a proxy).
  // Once it is open a call's request leaves at once, within the caller's task, as Wails's
  // IPC message does: awaiting even a settled promise would hold it back until the task
  // ends (a screen that asks for its rows while it is set up would ask only once drawn).
  let isOpen = false;
  let opened;
  const ready = new Promise((resolve) => { opened = () => { isOpen = true; resolve(); }; });
  setTimeout(opened, 5000);
  const events = new EventSource('/bridge/events');
  events.onopen = () => opened();
  events.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    window.__bridge.received.push(msg);
    notify(msg.name, msg.data || []);
  };

  function call(name, args) {
    const send = () => fetch('/bridge/call/' + encodeURIComponent(name), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
    });
    let sent;
    try {
      sent = isOpen ? send() : ready.then(send);
    } catch (e) {
      sent = Promise.reject(e); // arguments JSON cannot hold: a rejection, as before
    }
    return answer(sent);
  }

  async function answer(sent) {
    const res = await sent;
    let body;
    try {
      body = await res.json();
    } catch {
      body = { error: 'bridge: HTTP ' + res.status + ' without a JSON body' };
    }
    // Wails v2.16 rejects with new Error(formatted error); do the same.
    if (!res.ok) throw body.error instanceof Error ? body.error : new Error(body.error);
    return body.result;
  }

  // window.go.<pkg>.<Struct>.<Method>(...args), for any name: what exists is decided by Go.
  const path = (parts) => new Proxy(function () {}, {
    get(_, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      return path(parts.concat(key));
    },
    apply(_, __, args) {
      return call(parts.join('.'), args);
    },
  });
  window.go = path([]);

  let dropCb = null;
  const runtime = {
    EventsOnMultiple: (name, cb, max) => on(name, cb, max),
    EventsOn: (name, cb) => on(name, cb, -1),
    EventsOnce: (name, cb) => on(name, cb, 1),
    EventsOff: (name, ...more) => { for (const n of [name, ...more]) listeners.delete(n); },
    EventsOffAll: () => listeners.clear(),
    // Wails sends a frontend event to JS listeners and to Go; the harness has no Go
    // listeners yet, so only the JS side hears it.
    EventsEmit: (name, ...data) => notify(name, data),
    OnFileDrop: (cb) => {
      if (dropCb) runtime.OnFileDropOff();
      dropCb = on('wails:file-drop', cb, -1);
    },
    OnFileDropOff: () => { if (dropCb) { dropCb(); dropCb = null; } },
    CanResolveFilePaths: () => false,
    ResolveFilePaths: () => {},
    Environment: async () => ({ buildType: 'harness', platform: 'browser', arch: 'js' }),
    BrowserOpenURL: (url) => { window.__bridge.openedURLs.push(url); },
    ClipboardGetText: async () => (navigator.clipboard ? navigator.clipboard.readText() : ''),
    ClipboardSetText: async (t) => { if (navigator.clipboard) await navigator.clipboard.writeText(t); return true; },
    WindowSetTitle: (t) => { document.title = t; },
    WindowReload: () => location.reload(),
    WindowReloadApp: () => location.reload(),
    LogPrint: (m) => console.log(m),
    LogTrace: (m) => console.debug(m),
    LogDebug: (m) => console.debug(m),
    LogInfo: (m) => console.info(m),
    LogWarning: (m) => console.warn(m),
    LogError: (m) => console.error(m),
    LogFatal: (m) => console.error(m),
  };
  // Window management and the like do nothing in a browser tab.
  window.runtime = new Proxy(runtime, {
    get(target, key) {
      if (key in target) return target[key];
      return () => Promise.resolve();
    },
  });

  // For tests: what arrived over the event stream and what the app asked the OS to open.
  window.__bridge = { call, received: [], openedURLs: [], ready };
})();

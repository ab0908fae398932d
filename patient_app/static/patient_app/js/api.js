// The public API, as a native app would call it: bearer tokens, refresh on
// 401, errors as {"error": {"code", "message", "fields"}}.
import * as store from "./store.js";
import { current as language } from "./i18n.js";

let auth = null; // {access, refresh, username}
let refreshing = null;

export class Offline extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.fields = error.fields || {};
    this.body = body;
  }
}

export async function loadAuth() {
  auth = (await store.get("meta", "auth")) || null;
  return auth;
}

export function username() {
  return auth ? auth.username : "";
}

export function loggedIn() {
  return Boolean(auth && auth.refresh);
}

export async function setAuth(value) {
  auth = value;
  await store.put("meta", value, "auth");
}

export async function forget() {
  auth = null;
  await store.remove("meta", "auth");
}

function headers(withBody) {
  const result = { Accept: "application/json", "Accept-Language": language };
  if (withBody) result["Content-Type"] = "application/json";
  return result;
}

async function send(method, path, body, token) {
  const init = { method, headers: headers(body !== undefined) };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (token) init.headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, init);
  } catch {
    throw new Offline();
  }
}

async function read(response) {
  if (response.status === 204 || response.status === 205) return null;
  return response.json().catch(() => null);
}

// One refresh at a time. If its reply is lost (Offline), the refresh token is
// kept: sent again soon, within the server's grace period, it answers a new pair.
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const sent = auth;
      const response = await send("POST", "/api/v1/auth/token/refresh/", { refresh: sent.refresh });
      const body = await read(response);
      if (response.ok) {
        await setAuth({ ...sent, access: body.access, refresh: body.refresh });
        return;
      }
      if (response.status === 401 || response.status === 400) {
        await forget();
        window.dispatchEvent(new CustomEvent("diary:logged-out"));
      }
      throw new ApiError(response.status, body);
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    if (!auth) throw new ApiError(401, { error: { code: "not_authenticated" } });
    const response = await send(method, path, body, auth.access);
    if (response.status === 401 && attempt === 0) {
      await refresh();
      continue;
    }
    const data = await read(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
}

// Calls that need no login: token, enrol, reset.
export async function anonymous(method, path, body) {
  const response = await send(method, path, body);
  const data = await read(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function logIn(name, tokens) {
  await setAuth({ username: name, access: tokens.access, refresh: tokens.refresh });
}

// everywhere: every login of this patient ends (every phone's), not only this one.
export async function logOut({ everywhere = false } = {}) {
  if (auth) {
    try {
      await anonymous("POST", "/api/v1/auth/logout/", everywhere ? { refresh: auth.refresh, everywhere: true } : { refresh: auth.refresh });
    } catch (error) {
      // Offline, the token would stay alive; refused "everywhere", the other logins would.
      if (error instanceof Offline || everywhere) throw error;
    }
  }
  await forget();
}

// The API as the console calls it: the signed-in token (this tab only) and JSON requests
// whose failures arrive as ApiFailure with the API's own code and message.

const TOKEN_KEY = 'orderflow.support.token';
const ROLE_KEY = 'orderflow.support.role';
const ORDERS = '/v1/support/orders';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** `support` or `admin`: what the API said of the token at sign-in. */
  role: () => sessionStorage.getItem(ROLE_KEY),
  signIn: (token, role) => {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ROLE_KEY, role);
  },
  // The token and the last search: nothing of the session stays in the tab.
  signOut: () => sessionStorage.clear(),
};

class ApiFailure extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Worth sending again unchanged: nothing answered, or the server had a problem. */
  get retryable() {
    return this.status === 0 || this.status >= 500;
  }
}

let sessionEnded = () => {};
/** Called when the API refuses the token (401): the console signs out. */
export function onSessionEnded(callback) {
  sessionEnded = callback;
}

/** One JSON request with the session's token; answers `{status, body}` or throws ApiFailure. */
async function request(path, { method = 'GET', body, headers = {}, token = session.token() } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, 'network_error', 'The API could not be reached.');
  }
  const payload = await response.json().catch(() => null);
  if (response.ok) return { status: response.status, body: payload };
  const error = payload?.error ?? {};
  const failure = new ApiFailure(
    response.status,
    error.code ?? `http_${response.status}`,
    error.message ?? `The API answered ${response.status}.`,
    error.details,
  );
  // Only the session's own token ends the session (not a token being tried at sign-in).
  if (response.status === 401 && token === session.token()) sessionEnded(failure);
  throw failure;
}

const order = (orderId) => `${ORDERS}/${encodeURIComponent(orderId)}`;

export const support = {
  /** Who `token` belongs to (`{name, role}`), if it may use the support API at all. */
  whoIs: (token) => request('/v1/support/me', { token }),
  search: (params) => request(`${ORDERS}?${params}`),
  order: (orderId) => request(order(orderId)),
  history: (orderId) => request(`${order(orderId)}/history`),
  quote: (orderId) => request(`${order(orderId)}/cancellation-quote`),
  refund: (orderId, body, idempotencyKey) =>
    request(`${order(orderId)}/refunds`, {
      method: 'POST',
      body,
      headers: { 'idempotency-key': idempotencyKey },
    }),
  decide: (orderId, refundId, verdict, body) =>
    request(`${order(orderId)}/refunds/${encodeURIComponent(refundId)}/${verdict}`, {
      method: 'POST',
      body,
    }),
  cancel: (orderId, body) => request(`${order(orderId)}/cancel`, { method: 'POST', body }),
  redeliver: (orderId) => request(`${order(orderId)}/notifications/redeliver`, { method: 'POST' }),
};

/**
 * The choices the API accepts, read from its own OpenAPI document so the console has no copy
 * to keep in sync: order statuses, verticals, refund reasons. Empty lists if it is unreadable.
 */
export async function loadChoices() {
  const choices = { status: [], vertical: [], reason: [] };
  try {
    const response = await fetch('/openapi.json');
    const document = await response.json();
    for (const parameter of document.paths[ORDERS].get.parameters ?? []) {
      if (parameter.name in choices) choices[parameter.name] = parameter.schema?.enum ?? [];
    }
    choices.reason = document.components.schemas.RefundRequest.properties.reason.enum ?? [];
  } catch {
    // Free-text inputs stand in for the lists; the API still validates what is sent.
  }
  return choices;
}

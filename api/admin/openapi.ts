// The OpenAPI description of the admin routes (role `admin`): provider onboarding
// (admin/routes.ts: register, list, read and change providers, rotate their signing secret)
// and the app's event endpoints (admin/app-endpoints.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { bearerAuth, errors, json, jsonBody } from '../openapi-parts';
import { AppEventDeliverySchema } from '../app-event-schemas';
import { ErrorSchema, ProviderParamsSchema } from '../schemas';
import {
  AppEndpointListSchema,
  AppEndpointParamsSchema,
  AppEndpointWithSecretSchema,
  AppEventDeliveryListSchema,
  AppEventDeliveryParamsSchema,
  ListDeliveriesQuerySchema,
  RegisterAppEndpointRequestSchema,
} from './app-endpoint-schemas';
import {
  AdminProviderListSchema,
  AdminProviderSchema,
  ListProvidersQuerySchema,
  ProviderWithSecretSchema,
  RegisterProviderRequestSchema,
  RotateSecretRequestSchema,
  UpdateProviderRequestSchema,
} from './schemas';

/** The 422 of the routes that take a provider's webhook URL. */
const webhookUrl422 = {
  422: json(
    ErrorSchema,
    'validation failed (details name the field paths; a hotel without a `timeZone`, check-in times for a store), `unknown_time_zone`: `timeZone` is not an IANA time zone name, or `webhook_url_not_allowed`: the webhook URL points at a cloud metadata address or, unless the server allows private webhooks, at a loopback, private or link-local one (by address or by what its name resolves to)',
  ),
};

export function registerAdminPaths(registry: OpenAPIRegistry): void {
  const tags = ['admin'];
  const security = bearerAuth('admin');
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers',
    operationId: 'registerProvider',
    tags,
    summary: 'Register a provider; answers with its signing secret, shown this once (admin)',
    security,
    request: jsonBody(RegisterProviderRequestSchema),
    responses: {
      201: json(ProviderWithSecretSchema, 'registered; `Location` names the provider'),
      ...errors(400, 401, 403, 409),
      ...webhookUrl422,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers',
    operationId: 'listProviders',
    tags,
    summary: 'Providers, newest first, without their secrets (admin)',
    security,
    request: { query: ListProvidersQuerySchema },
    responses: {
      200: json(AdminProviderListSchema, 'one page of providers'),
      ...errors(401, 403, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers/{providerId}',
    operationId: 'getProvider',
    tags,
    summary:
      "A provider's settings and its valid secrets' ids and expiries, never a secret (admin)",
    security,
    request: { params: ProviderParamsSchema },
    responses: { 200: json(AdminProviderSchema, 'the provider'), ...errors(401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/admin/providers/{providerId}',
    operationId: 'updateProvider',
    tags,
    summary:
      "Change a provider's settings; new orders follow them, existing ones keep theirs (admin)",
    security,
    request: { params: ProviderParamsSchema, ...jsonBody(UpdateProviderRequestSchema) },
    responses: {
      200: json(AdminProviderSchema, 'the provider as changed'),
      ...errors(400, 401, 403, 404),
      ...webhookUrl422,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers/{providerId}/secrets',
    operationId: 'rotateProviderSecret',
    tags,
    summary:
      'Rotate the signing secret: a new one, shown this once; the previous ones stay valid for the grace (admin)',
    security,
    request: {
      params: ProviderParamsSchema,
      body: {
        required: false,
        content: { 'application/json': { schema: RotateSecretRequestSchema } },
      },
    },
    responses: {
      201: json(ProviderWithSecretSchema, 'the new secret, and every valid secret with its expiry'),
      ...errors(400, 401, 403, 404, 422),
    },
  });
  registerAppEndpointPaths(registry, tags, security);
}

function registerAppEndpointPaths(
  registry: OpenAPIRegistry,
  tags: string[],
  security: ReturnType<typeof bearerAuth>,
): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/app-endpoints',
    operationId: 'registerAppEndpoint',
    tags,
    summary:
      "Register an endpoint of the app's backend for order events; answers with its signing secret, shown this once (admin)",
    security,
    request: jsonBody(RegisterAppEndpointRequestSchema),
    responses: {
      201: json(AppEndpointWithSecretSchema, 'registered; `Location` names the endpoint'),
      ...errors(400, 401, 403),
      422: json(
        ErrorSchema,
        'validation failed (details name the field paths), or `webhook_url_not_allowed`: the URL points at a cloud metadata address or, unless the server allows private webhooks, at a loopback, private or link-local one',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/app-endpoints',
    operationId: 'listAppEndpoints',
    tags,
    summary: 'The endpoints order events go to, newest first, without their secrets (admin)',
    security,
    responses: {
      200: json(AppEndpointListSchema, 'every endpoint not deleted'),
      ...errors(401, 403),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/admin/app-endpoints/{endpointId}',
    operationId: 'deleteAppEndpoint',
    tags,
    summary:
      'Stop sending events to an endpoint; its deliveries still waiting end without another attempt (admin)',
    security,
    request: { params: AppEndpointParamsSchema },
    responses: {
      204: { description: 'deleted' },
      ...errors(401, 403, 404, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/app-endpoints/{endpointId}/deliveries',
    operationId: 'listAppEventDeliveries',
    tags,
    summary: "An endpoint's event deliveries, newest first, with their attempts (admin)",
    security,
    request: { params: AppEndpointParamsSchema, query: ListDeliveriesQuerySchema },
    responses: {
      200: json(AppEventDeliveryListSchema, 'the deliveries'),
      ...errors(401, 403, 404, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/app-endpoints/{endpointId}/deliveries/{deliveryId}/retry',
    operationId: 'retryAppEventDelivery',
    tags,
    summary:
      'Send a delivery again now: a pending one skips the rest of its backoff, a failed (or delivered) one starts over (admin)',
    security,
    request: { params: AppEventDeliveryParamsSchema },
    responses: {
      202: json(AppEventDeliverySchema, 'the attempt is on its way; the delivery is pending'),
      ...errors(401, 403, 404, 422),
    },
  });
}

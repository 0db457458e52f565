// The layering the README's Architecture section describes, checked on every import
// (`npm run lint:deps`, in .ci/run). Type-only imports count: a cycle made of types is a cycle.

/** api/'s feature folders: each owns its routes, schemas and OpenAPI registrations. */
const FEATURES = '(orders|providers|admin|support|ops|codec|console)';
const TESTS = '\\.test\\.ts$';
const TEMPORAL_WORKFLOW = '^node_modules/@temporalio/workflow/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other, even through types: move the shared piece down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'A module nothing imports and that imports nothing of ours: use it or remove it. Test ' +
        "fixtures' workflows are exempt: Temporal's bundler loads them by path (workflowsPath).",
      from: {
        orphan: true,
        pathNot: [
          '(^|/)\\.[^/]+\\.(js|cjs|mjs|ts|json)$',
          '\\.d\\.ts$',
          '^test/fixtures/[^/]+-workflow\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'domain-imports-nothing-of-ours',
      severity: 'error',
      comment:
        'domain/ is pure rules and types, imported by everything and importing no other layer.',
      from: { path: '^domain/' },
      to: { path: '^(workflows|activities|api|workers|infra|dev|ops|bench|scripts|test|clients)/' },
    },
    {
      name: 'clients-know-only-the-document',
      severity: 'error',
      comment:
        'clients/ is what an app would have: the types generated from the OpenAPI document, and nothing of the server.',
      from: { path: '^clients/' },
      to: { path: '^(domain|workflows|activities|api|workers|infra|dev|ops|bench|scripts|test)/' },
    },
    {
      name: 'domain-does-no-io',
      severity: 'error',
      comment: 'domain/ takes time and data as arguments: no Node built-ins outside its tests.',
      from: { path: '^domain/', pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-uses-no-packages',
      severity: 'error',
      comment: 'domain/ needs no library outside its tests (fast-check properties).',
      from: { path: '^domain/', pathNot: TESTS },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'] },
    },
    {
      name: 'workflows-stay-deterministic',
      severity: 'error',
      comment:
        'Workflow code runs in the replay sandbox: at run time it imports only @temporalio/workflow, ' +
        'domain/ and workflows/. search-attributes.ts defines the search attribute keys with ' +
        "@temporalio/common's defineSearchAttributeKey, which @temporalio/workflow does not re-export.",
      from: { path: '^workflows/', pathNot: [TESTS, '^workflows/search-attributes\\.ts$'] },
      to: {
        pathNot: ['^workflows/', '^domain/', TEMPORAL_WORKFLOW],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'workflows-take-only-activity-types',
      severity: 'error',
      comment:
        'Besides @temporalio/workflow, domain/ and workflows/, workflow code may import the ' +
        'activities, as `import type` only (proxyActivities<typeof …>).',
      from: { path: '^workflows/', pathNot: TESTS },
      to: {
        pathNot: ['^workflows/', '^domain/', TEMPORAL_WORKFLOW, '^activities/'],
        dependencyTypes: ['type-only'],
      },
    },
    {
      name: 'api-does-not-run-activities',
      severity: 'error',
      comment: 'The API reaches activities only through workflows (Temporal): types at most.',
      from: { path: '^api/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-features-stand-alone',
      severity: 'error',
      comment:
        "An api/ feature imports no other feature's folder: what two features share sits at " +
        'api/ top level (schemas, errors, middleware, order views and updates).',
      from: { path: `^api/${FEATURES}/` },
      to: { path: `^api/${FEATURES}/`, pathNot: '^api/$1/' },
    },
    {
      name: 'api-shared-pieces-below-features',
      severity: 'error',
      comment:
        'Only the app factory (app.ts) and the OpenAPI assembly (openapi.ts) import the features.',
      from: { path: '^api/', pathNot: [`^api/${FEATURES}/`, '^api/(app|openapi)\\.ts$'] },
      to: { path: `^api/${FEATURES}/` },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file or installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^dist/', '^\\.tools/', '^\\.data/'] },
  },
};

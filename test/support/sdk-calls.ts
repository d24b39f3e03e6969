// Which AWS calls a Lambda handler can make, found statically: the handler is bundled with
// esbuild (tree-shaken, SDK left external) and every AWS SDK v3 command left in it is read.
import { build } from 'esbuild';
import ts from 'typescript';

/**
 * One `new XCommand({...})` (or `paginateX`) reachable from a handler, with what its
 * arguments say about the resource. Conventions of this codebase the reading relies on:
 * - a property read `config.tableName` / `cfg.notifyTopicArn` names the environment
 *   variable its getter or reader takes (`required('TABLE_NAME')`, `env.NOTIFY_TOPIC_ARN`);
 * - src/ratebudget.ts writes to RATE_BUDGET_TABLE, and runs as IoT client middleware: it
 *   makes its call only in a function that calls IoT and has RATE_BUDGET_TABLE set;
 * - events go out through `entry(busNameOrArn, …)`: `peerBusArn(account)` is a peer
 *   account's bus, `config.eventBusName` the stack's own.
 */
export interface SdkCall {
  /** IAM action, `service:Action`. */
  action: string;
  /** The SDK command as written (`GetCommand`, `paginateListCertificates`). */
  command: string;
  /** Source module of the call, from esbuild's module markers (`src/store.ts`). */
  module: string;
  /** Environment variable naming the table, topic, state machine or bus the call addresses. */
  env?: string;
  /** DynamoDB Query: the index queried; `dynamic` when chosen at run time. */
  index?: string | 'dynamic';
  /** EventBridge PutEvents: the buses events are addressed to. */
  buses?: ('own' | 'peers')[];
}

export interface HandlerCalls {
  calls: SdkCall[];
  /** Every string literal of the bundle (to bound a run-time choice of index). */
  literals: Set<string>;
}

const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-iot': 'iot',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-s3': 's3',
};

/** lib-dynamodb's document commands and the DynamoDB operation each sends. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

/** Modules whose calls address a table given to them by environment, not through `config`. */
const MODULE_TABLE_ENV: Record<string, string> = { 'src/ratebudget.ts': 'RATE_BUDGET_TABLE' };
/** Modules whose S3 calls address the bucket an environment variable names (checked there, `manifestOf`). */
const MODULE_BUCKET_ENV: Record<string, string> = { 'src/batch/manifest.ts': 'MANIFEST_BUCKET' };
const IOT_MIDDLEWARE_MODULES = new Set(['src/ratebudget.ts']);

/** The tree-shaken bundle of a handler file, SDK and other packages left as imports. */
export async function bundleHandler(file: string): Promise<string> {
  const out = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    treeShaking: true,
    minify: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function propertyMap(node: ts.Node | undefined): Map<string, ts.Expression> {
  const props = new Map<string, ts.Expression>();
  if (node && ts.isObjectLiteralExpression(node)) {
    for (const p of node.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) props.set(p.name.text, p.initializer);
      else if (ts.isShorthandPropertyAssignment(p)) props.set(p.name.text, p.name);
    }
  }
  return props;
}

/** BatchGetItem / BatchWriteItem: the table named by `RequestItems: { [config.tableName]: … }`. */
function batchTable(node: ts.Expression | undefined): ts.Expression | undefined {
  if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
  const computed = node.properties.find((p) => ts.isPropertyAssignment(p) && ts.isComputedPropertyName(p.name));
  return computed ? ((computed as ts.PropertyAssignment).name as ts.ComputedPropertyName).expression : undefined;
}

/** Reads the SDK calls out of a bundle made by `bundleHandler`. */
export function readCalls(text: string): HandlerCalls {
  const source = ts.createSourceFile('bundle.mjs', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const markers = [...text.matchAll(/^\/\/ ((?:src|functions)\/\S+\.ts)$/gm)].map((m) => ({ at: m.index, module: m[1] }));
  const moduleAt = (pos: number) => markers.filter((m) => m.at <= pos).pop()?.module ?? 'unknown';

  // Getter and reader names → the environment variable they return.
  const envOfProperty = new Map<string, string>();
  for (const m of text.matchAll(/get (\w+)\(\) \{\s*return (?:required\("(\w+)"\)|process\.env\.(\w+))/g)) envOfProperty.set(m[1], m[2] ?? m[3]);
  for (const m of text.matchAll(/\b(\w+): (?:env|process\.env)\.(\w+)\b/g)) envOfProperty.set(m[1], m[2]);
  const envOf = (expr: ts.Expression | undefined, module: string): string | undefined => {
    if (!expr) return undefined;
    if (ts.isPropertyAccessExpression(expr)) {
      if (expr.expression.kind === ts.SyntaxKind.ThisKeyword && MODULE_TABLE_ENV[module]) return MODULE_TABLE_ENV[module];
      return envOfProperty.get(expr.name.text);
    }
    return undefined;
  };

  const imports = new Map<string, { pkg: string; name: string }>();
  const literals = new Set<string>();
  const buses = new Set<'own' | 'peers'>();
  const found: { call: ts.CallExpression | ts.NewExpression; pkg: string; name: string; paginator: boolean }[] = [];

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.importClause?.namedBindings;
      if (named && ts.isNamedImports(named)) {
        for (const el of named.elements) imports.set(el.name.text, { pkg: node.moduleSpecifier.text, name: (el.propertyName ?? el.name).text });
      }
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literals.add(node.text);
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression)) {
      const imported = imports.get(node.expression.text);
      if (imported && SERVICE_OF_PACKAGE[imported.pkg]) {
        if (ts.isNewExpression(node) && imported.name.endsWith('Command')) found.push({ call: node, ...imported, paginator: false });
        if (ts.isCallExpression(node) && imported.name.startsWith('paginate')) found.push({ call: node, ...imported, paginator: true });
      }
      // entry(busNameOrArn, …): where published events go.
      if (ts.isCallExpression(node) && node.expression.text === 'entry' && node.arguments[0]) {
        const bus = node.arguments[0];
        buses.add(ts.isCallExpression(bus) && ts.isIdentifier(bus.expression) && bus.expression.text === 'peerBusArn' ? 'peers' : 'own');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  const calls = found.map(({ call, pkg, name, paginator }): SdkCall => {
    const service = SERVICE_OF_PACKAGE[pkg];
    const operation = paginator ? name.slice('paginate'.length) : pkg === '@aws-sdk/lib-dynamodb' ? DOCUMENT_COMMANDS[name] : name.replace(/Command$/, '');
    if (!operation) throw new Error(`${name} of ${pkg} maps to no IAM action: add it to DOCUMENT_COMMANDS`);
    const module = moduleAt(call.getStart());
    const args = call.arguments ?? ts.factory.createNodeArray();
    const props = propertyMap(paginator ? args[1] : args[0]);
    const result: SdkCall = { action: `${service}:${operation}`, command: name, module };
    const env = envOf(props.get('TableName') ?? props.get('TopicArn') ?? props.get('stateMachineArn') ?? props.get('EventBusName') ?? batchTable(props.get('RequestItems')), module);
    if (env) result.env = env;
    if (service === 's3' && MODULE_BUCKET_ENV[module]) result.env = MODULE_BUCKET_ENV[module];
    if (operation === 'Query' && props.has('IndexName')) {
      const index = props.get('IndexName')!;
      result.index = ts.isStringLiteral(index) ? index.text : 'dynamic';
    }
    if (service === 'events' && operation === 'PutEvents') result.buses = [...buses].sort();
    return result;
  });
  return { calls, literals };
}

/** Drops the calls made only by IoT client middleware when the function calls no IoT, or lacks its table. */
export function effectiveCalls(calls: SdkCall[], environment: Record<string, string>): SdkCall[] {
  const callsIot = calls.some((c) => c.action.startsWith('iot:'));
  return calls.filter((c) => !IOT_MIDDLEWARE_MODULES.has(c.module) || (callsIot && c.env !== undefined && environment[c.env] !== undefined && environment[c.env] !== ''));
}

/** The SDK calls a handler file can make. */
export async function handlerCalls(file: string): Promise<HandlerCalls> {
  return readCalls(await bundleHandler(file));
}

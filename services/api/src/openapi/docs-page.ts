import type { OpenApiDocument, OpenApiMediaType, OpenApiOperation, OpenApiParameter } from './document';
import type { JsonSchema } from './route-spec';

/**
 * The document as one self-contained HTML page: no script, no external
 * asset, so it renders offline and under a strict Content-Security-Policy.
 */

const COMPONENT_PREFIX = '#/components/schemas/';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** `code spans` in descriptions, escaped first so nothing else becomes markup. */
function prose(text: string | undefined): string {
  if (text === undefined) return '';
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function anchor(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '-');
}

function schemaLink(ref: string): string {
  const id = ref.slice(COMPONENT_PREFIX.length);
  return `<a href="#schema-${anchor(id)}">${escapeHtml(id)}</a>`;
}

/** A one-line summary of a schema: type and constraints. */
function schemaSummary(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') return schemaLink(schema.$ref);
  const parts: string[] = [];
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  parts.push(escapeHtml(type ?? 'any'));
  if (schema.format) parts.push(`(${escapeHtml(schema.format)})`);
  if (schema.enum)
    parts.push(`one of ${schema.enum.map((value) => `<code>${escapeHtml(String(value))}</code>`).join(', ')}`);
  const bounds: [string, unknown][] = [
    ['≥', schema.minimum],
    ['≤', schema.maximum],
    ['min length', schema.minLength],
    ['max length', schema.maxLength],
    ['default', schema.default],
  ];
  for (const [label, value] of bounds) {
    if (value !== undefined) parts.push(`${label} <code>${escapeHtml(JSON.stringify(value))}</code>`);
  }
  if (schema.pattern) parts.push(`matching <code>${escapeHtml(schema.pattern)}</code>`);
  return parts.join(' ');
}

/** Pretty JSON with `$ref`s turned into links to the schema they name. */
function schemaJson(schema: JsonSchema): string {
  return escapeHtml(JSON.stringify(schema, null, 2)).replace(
    /&#34;\$ref&#34;: &#34;#\/components\/schemas\/([A-Za-z0-9_.-]+)&#34;/g,
    (_match, id: string) => `&#34;$ref&#34;: &#34;${schemaLink(`${COMPONENT_PREFIX}${id}`)}&#34;`,
  );
}

function parametersTable(parameters: OpenApiParameter[] | undefined): string {
  if (!parameters?.length) return '';
  const rows = parameters
    .map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(parameter.name)}</code>${parameter.required ? ' <span class="req">required</span>' : ''}</td>` +
        `<td>${parameter.in}</td><td>${schemaSummary(parameter.schema)}</td><td>${prose(parameter.description)}</td></tr>`,
    )
    .join('');
  return `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Schema</th><th>Description</th></tr>${rows}</table>`;
}

function contentList(content: Record<string, OpenApiMediaType> | undefined): string {
  if (!content) return '';
  return Object.entries(content)
    .map(
      ([type, { schema, example, examples }]) =>
        `<code>${escapeHtml(type)}</code> ${schemaSummary(schema)}` +
        (example === undefined ? '' : `<pre class="example">${escapeHtml(JSON.stringify(example, null, 2))}</pre>`) +
        Object.values(examples ?? {})
          .map(
            ({ summary, value }) =>
              `<br>${prose(summary)}<pre class="example">${escapeHtml(JSON.stringify(value, null, 2))}</pre>`,
          )
          .join(''),
    )
    .join('<br>');
}

function operationSection(method: string, path: string, operation: OpenApiOperation): string {
  const body = operation.requestBody;
  const responses = Object.entries(operation.responses)
    .map(([status, response]) => {
      const headers = Object.keys(response.headers ?? {}).map((name) => `<code>${escapeHtml(name)}</code>`);
      return (
        `<tr><td class="status s${status[0]}">${escapeHtml(status)}</td><td>${prose(response.description)}` +
        `${headers.length ? `<br>Headers: ${headers.join(', ')}` : ''}</td><td>${contentList(response.content)}</td></tr>`
      );
    })
    .join('');
  return `<section id="op-${anchor(operation.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>${operation.security?.length ? ' <span class="lock" title="API key required">🔒 API key</span>' : ''}</h3>
<p><strong>${prose(operation.summary)}</strong></p>
${operation.description ? `<p>${prose(operation.description)}</p>` : ''}
${parametersTable(operation.parameters)}
${body ? `<h4>Request body</h4><p>${prose(body.description)}</p><p>${contentList(body.content)}</p>` : ''}
<h4>Responses</h4><table><tr><th>Status</th><th>Description</th><th>Body</th></tr>${responses}</table>
</section>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:1rem 2rem;color:#1b1f24}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;border-radius:6px}
section{border:1px solid #d0d7de;border-radius:8px;padding:.25rem 1rem 1rem;margin:1rem 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaeef2;padding:.3rem .5rem;text-align:left;vertical-align:top}
.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:0 .4em}
.get{background:#0969da}.post{background:#1a7f37}.put{background:#9a6700}.delete{background:#cf222e}.patch{background:#8250df}
.req{color:#cf222e;font-size:12px}.lock{font-size:13px;color:#57606a}
.status{font-weight:600}.s2{color:#1a7f37}.s4{color:#9a6700}.s5{color:#cf222e}
nav li{margin:.1rem 0}`;

export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
  );
  const nav = operations
    .map(
      ({ method, path, operation }) =>
        `<li><a href="#op-${anchor(operation.operationId)}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> — ${prose(operation.summary)}</li>`,
    )
    .join('');
  const schemas = Object.entries(document.components.schemas)
    .map(
      ([id, schema]) =>
        `<section id="schema-${anchor(id)}"><h3>${escapeHtml(id)}</h3><pre>${schemaJson(schema)}</pre></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${prose(document.info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${document.openapi}).</p>
<h2>Operations</h2><nav><ul>${nav}</ul></nav>
${operations.map(({ method, path, operation }) => operationSection(method, path, operation)).join('\n')}
<h2>Schemas</h2>
${schemas}
</body></html>
`;
}

import { readFile } from 'node:fs/promises';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export type JsonObject = Record<string, unknown>;

/** A tiny client over fetch, for tests only. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    /** Sent as `Authorization: Bearer <apiKey>` on every request when set. */
    readonly apiKey?: string,
  ) {}

  /** The same server, as another key (or none). */
  as(apiKey: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, apiKey);
  }

  private headers(extra: RequestInit['headers']): Headers {
    const headers = new Headers(extra);
    if (this.apiKey !== undefined && !headers.has('authorization'))
      headers.set('authorization', `Bearer ${this.apiKey}`);
    return headers;
  }

  async request<T = JsonObject>(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, method, headers: this.headers(init.headers) });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') {
      body = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  async postJson<T = JsonObject>(path: string, payload: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  }

  async upload(filename: string, filePath: string, contentType = 'video/mp4'): Promise<string> {
    const data = await readFile(filePath);
    const response = await this.request<{ source: string }>('PUT', `/uploads/${encodeURIComponent(filename)}`, {
      headers: { 'content-type': contentType },
      body: data,
    });
    if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.source;
  }

  async download(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Headers; data: Buffer }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.headers(headers) });
    return { status: response.status, headers: response.headers, data: Buffer.from(await response.arrayBuffer()) };
  }
}

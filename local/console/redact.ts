/**
 * Task tokens never reach the browser. A token is a bearer credential: with
 * it anyone can settle the workflow (SendTaskSuccess) and skip every check of
 * the decision path. The console therefore hides them twice: by name (any
 * member called like `taskToken`, also inside JSON-encoded strings such as
 * history inputs and task parameters) and by value (every token seen, replaced
 * wherever else it appears).
 */
export const HIDDEN = '(task token hidden)';

const TOKEN_KEY = /^(task_?token|\$\$\.Task\.Token)$/i;

export class Redactor {
  private readonly tokens = new Set<string>();

  /** Remembers a token from a trusted source (the transfer record) so it is removed by value too. */
  remember(token: unknown): void {
    if (typeof token === 'string' && token.length >= 16) this.tokens.add(token);
  }

  /** A deep copy without tokens. */
  redact<T>(value: T): T {
    return this.scrub(this.strip(value)) as T;
  }

  private strip(value: unknown): unknown {
    if (typeof value === 'string') return this.stripJsonString(value);
    if (Array.isArray(value)) return value.map((v) => this.strip(v));
    if (value instanceof Date) return value;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (TOKEN_KEY.test(k) || (k.endsWith('.$') && TOKEN_KEY.test(k.slice(0, -2)))) {
          this.remember(v);
          out[k] = HIDDEN;
        } else out[k] = this.strip(v);
      }
      return out;
    }
    return value;
  }

  /** History inputs, outputs and parameters are JSON documents inside strings. */
  private stripJsonString(s: string): string {
    const t = s.trimStart();
    if (!(t.startsWith('{') || t.startsWith('[')) || !/task_?token/i.test(s)) return s;
    try {
      return JSON.stringify(this.strip(JSON.parse(s)));
    } catch {
      return s;
    }
  }

  private scrub(value: unknown): unknown {
    if (this.tokens.size === 0) return value;
    if (typeof value === 'string') {
      let s = value;
      for (const t of this.tokens) if (s.includes(t)) s = s.split(t).join(HIDDEN);
      return s;
    }
    if (Array.isArray(value)) return value.map((v) => this.scrub(v));
    if (value instanceof Date) return value;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrub(v)]));
    return value;
  }
}

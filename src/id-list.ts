import { CERTIFICATE_ID } from './ids.js';

/** A list of certificate ids that cannot be read: `line` is 1-based. */
export class IdListError extends Error {
  override readonly name = 'IdListError';
  constructor(
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? problem : `line ${line}: ${problem}`);
  }

  /** The problem as said of `source` (a file, stdin, an S3 URI): `ids.txt:3: "x" is not …`, `ids.txt lists no …`. */
  in(source: string): string {
    return this.line === undefined ? `${source} ${this.problem}` : `${source}:${this.line}: ${this.problem}`;
  }
}

/**
 * Certificate ids written one per line (or several, separated by spaces or
 * commas), `#` starting a comment: the CLI's batch files and the manifests of
 * `POST /transfer-batches`. Ids come back lowercased, in order; a repeated one
 * or anything that is not an id is an {@link IdListError} naming its line.
 */
export function parseIdList(text: string): string[] {
  const ids: string[] = [];
  const lineOf = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*/, '').trim();
    if (!line) continue;
    for (const token of line.split(/[\s,]+/)) {
      if (!token) continue;
      if (!CERTIFICATE_ID.test(token)) throw new IdListError(i + 1, `"${token.length > 80 ? `${token.slice(0, 80)}…` : token}" is not a certificate id (64 hexadecimal characters)`);
      const id = token.toLowerCase();
      const first = lineOf.get(id);
      if (first !== undefined) throw new IdListError(i + 1, `certificate ${id} is already listed on line ${first}`);
      lineOf.set(id, i + 1);
      ids.push(id);
    }
  }
  if (!ids.length) throw new IdListError(undefined, 'lists no certificate id');
  return ids;
}

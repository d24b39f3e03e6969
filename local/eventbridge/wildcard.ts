/**
 * The `wildcard` operator of event patterns: parsing (`*`, `\*`, `\\`), matching, and the
 * complexity measure behind "Rule is too complex" (aws/event-ruler's MachineComplexityEvaluator).
 */

/** One token of a wildcard pattern: a literal character or the wildcard. */
type Token = { star: true } | { star: false; ch: string };

/** Why a wildcard pattern is not valid, or undefined when it is. */
export function wildcardProblem(source: string): string | undefined {
  try {
    tokenize(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const escaped = source[i + 1];
      if (escaped !== '*' && escaped !== '\\') throw new Error(`Invalid escape character at pos ${i + 1}`);
      tokens.push({ star: false, ch: escaped });
      i++;
    } else if (ch === '*') {
      // event-ruler's message, as EventBridge returns it (1-based position of the second '*').
      if (tokens.at(-1)?.star) throw new Error(`Consecutive wildcard characters at pos ${i}`);
      tokens.push({ star: true });
    } else {
      tokens.push({ star: false, ch });
    }
  }
  return tokens;
}

/**
 * `*` matches any run of characters (including none); `\*` is a literal asterisk
 * and `\\` a literal backslash.
 * @throws Error when the pattern is not valid (see wildcardProblem)
 */
export function wildcardToRegex(source: string): RegExp {
  const body = tokenize(source)
    .map((t) => (t.star ? '.*' : t.ch.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/**
 * The complexity event-ruler assigns to the wildcard patterns of one field: the largest
 * number of pattern prefixes that one input value can match at the same time, summed over
 * the distinct patterns. "a*b*bb" has 5 ("abbb" matches a*, a*b, a*b*, a*b*b, a*b*bb);
 * "ab*cd" with "ab*wx" has 4 ("ab" matches ab and ab* of each). Evaluation stops at `cap`,
 * like event-ruler's evaluator, so the result is min(complexity, cap).
 */
export function wildcardComplexity(sources: readonly string[], cap: number): number {
  // Trie of all prefixes: node 0 is the empty prefix (never counted).
  const literal: Array<Map<string, number>> = [new Map()];
  const starChild: number[] = [-1];
  const selfLoop: boolean[] = [false];
  const alphabet = new Set<string>();
  // weight[node]: how many distinct patterns have this prefix.
  const weight: number[] = [0];
  for (const source of new Set(sources)) {
    let node = 0;
    for (const t of tokenize(source)) {
      if (t.star) {
        if (starChild[node] < 0) {
          starChild[node] = literal.length;
          literal.push(new Map());
          starChild.push(-1);
          selfLoop.push(true);
          weight.push(0);
        }
        node = starChild[node];
      } else {
        alphabet.add(t.ch);
        let next = literal[node].get(t.ch);
        if (next === undefined) {
          next = literal.length;
          literal[node].set(t.ch, next);
          literal.push(new Map());
          starChild.push(-1);
          selfLoop.push(false);
          weight.push(0);
        }
        node = next;
      }
      weight[node]++;
    }
  }
  // A character that appears in no pattern stands for all of them.
  const symbols = [...alphabet, '\u0000other'];
  const close = (states: Set<number>): Set<number> => {
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop()!;
      const star = starChild[s];
      if (star >= 0 && !states.has(star)) {
        states.add(star);
        stack.push(star);
      }
    }
    return states;
  };
  const score = (states: Set<number>): number => {
    let total = 0;
    for (const st of states) total += weight[st];
    return total;
  };
  const start = close(new Set([0]));
  const key = (s: Set<number>) => [...s].sort((a, b) => a - b).join(',');
  const seen = new Set([key(start)]);
  const queue = [start];
  let best = Math.min(score(start), cap);
  // Patterns fit in an EventPattern (≤ 4096 characters): the subset graph stays small in practice,
  // and a search that keeps growing is itself a sign of a too complex rule.
  const maxSubsets = 20_000;
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const symbol of symbols) {
      const next = new Set<number>();
      for (const s of current) {
        if (selfLoop[s]) next.add(s);
        const to = literal[s].get(symbol);
        if (to !== undefined) next.add(to);
      }
      if (next.size === 0) continue;
      close(next);
      const size = score(next);
      if (size >= cap) return cap;
      best = Math.max(best, size);
      const k = key(next);
      if (seen.has(k)) continue;
      if (seen.size >= maxSubsets) return cap;
      seen.add(k);
      queue.push(next);
    }
  }
  return best;
}

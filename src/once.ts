/**
 * `make()` on the first call, and its value ever after. For what a module
 * would otherwise build at import: a function's cold start then pays only for
 * what its invocations use (a schema compiled by ajv costs milliseconds).
 */
export function once<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

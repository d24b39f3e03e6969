import * as iot from '@aws-sdk/client-iot';

type ExceptionCtor = new (opts: { message: string; $metadata: object }) => Error;

/** A real IoT SDK exception instance, as the client throws it. */
export function iotError(name: string, message = `${name} (test)`): Error {
  const Ctor = (iot as unknown as Record<string, ExceptionCtor>)[name];
  if (!Ctor) throw new Error(`@aws-sdk/client-iot has no exception ${name}`);
  return new Ctor({ message, $metadata: { httpStatusCode: 400 } });
}

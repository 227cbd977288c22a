// Responses written as they are. A push sends one response (a route configuration of every
// service, say) to many streams; grpc-js frames each message by copying it into a new buffer, which
// for 1000 proxies and a 0.5 MB response is 0.5 GB of fresh memory to fault in and collect per
// push. Our responses are built already framed (wire.ts), so on the ADS methods the call's framing
// step can hand them on unchanged and every stream writes the same bytes.
//
// The framing step is internal to grpc-js (pinned at an exact version); where a call does not have
// it, nothing is changed and grpc-js frames the message inside (the method's responseSerialize,
// wire.ts's `messageOf`, strips the prefix), so the bytes on the wire are the same either way.
import type {
  ServerInterceptingCall,
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerMethodDefinition,
} from '@grpc/grpc-js';

/** The internal step of grpc-js's server call that frames a response message. */
interface Framing {
  serializeMessage?: (message: unknown) => Buffer;
}

/** Makes `call` write framed responses as they are; false when the call has no framing step to
 * replace (then it frames them itself). */
export function writeFramesAsIs(call: ServerInterceptingCallInterface): boolean {
  const framing = call as unknown as Framing;
  if (typeof framing.serializeMessage !== 'function') return false;
  Object.defineProperty(call, 'serializeMessage', { value: (frame: Buffer) => frame });
  return true;
}

/** A server interceptor applying `writeFramesAsIs` to the calls of the methods in `paths`. */
export function framedResponses(paths: ReadonlySet<string>): ServerInterceptor {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
    if (paths.has(method.path)) writeFramesAsIs(call);
    // The call itself goes on: grpc-js chains interceptors through the call interface, and a
    // wrapping layer would only add work to every message.
    return call as ServerInterceptingCall;
  };
}

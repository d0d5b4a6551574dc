import helmet from 'helmet';
import type { Request, RequestHandler } from 'express';

/**
 * No inline script and no eval anywhere: htmx runs with allowEval off and hx-on is not used;
 * behaviour lives in static files. Inline styles are refused too (htmx's indicator styles are in app.css).
 */
export const securityHeaders = () =>
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // blob: the composer previews chosen images from the person's own files before sending.
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // Over HTTPS a proxy in front adds HSTS; sending it from a plain-HTTP dev server helps no one.
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'same-origin' },
  });

/**
 * An htmx request that is not a navigation (a fragment, an out-of-band update, a 204): its answer
 * is never a document of its own (a browser navigating or framing a URL does not send HX-Request),
 * so the document headers (CSP, framing, opener, and the rest: about 600 bytes) would only weigh on
 * every live page's small requests. It keeps what applies to any answer.
 */
const isFragmentRequest = (req: Request) => req.get('hx-request') === 'true' && req.get('hx-boosted') !== 'true';

export function securityHeadersByRequest(): RequestHandler {
  const full = securityHeaders();
  return (req, res, next) => {
    // Whatever a cache keeps, it keeps apart for fragment and page requests.
    res.vary('HX-Request');
    if (!isFragmentRequest(req)) return full(req, res, next);
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
    next();
  };
}

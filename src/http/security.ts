import helmet from 'helmet';

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
        imgSrc: ["'self'", 'data:'],
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

/**
 * Reads a would-be text file as it streams, through to its last byte, holding only a few bytes of
 * state between chunks: is it still text (valid UTF-8, no control characters but tabs and line
 * breaks), and is there markup a browser would run or render in it? Markup is what an HTML
 * parser would take for a tag that matters: a document, script, frame, SVG, style or the like; an
 * event handler on any tag (`<img src=x onerror=…>`); a `javascript:` URL in an attribute; a
 * DOCTYPE, an XML declaration or stylesheet. Ordinary text with angle brackets (`a<b`, `<3`,
 * `<ann@example.com>`, `<b>bold</b>`) stays text.
 */
export type TextVerdict = 'text' | 'binary' | 'markup';

/** Elements that make a page, run script, load a frame or restyle: seen at all, the file is markup. */
const MARKUP_ELEMENTS = new Set([
  'html', 'head', 'body', 'script', 'svg', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'meta', 'base',
  'link', 'style', 'form', 'math', 'template', 'xml', 'isindex', 'portal', 'noscript', 'xmp', 'listing', 'plaintext',
]);
/** `<!…>` openings of documents and DTDs (a comment, `<!--`, is not one). */
const DECLARATIONS = ['doctype', 'entity', 'element', 'attlist', '[cdata['];

// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;
const WHITESPACE = /[\t\n\f\r ]/;

type State = 'text' | 'open' | 'name' | 'bang' | 'pi' | 'attrs' | 'attr-name' | 'after-name' | 'before-value' | 'value' | 'unquoted';

export class TextScan {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private verdict: TextVerdict = 'text';
  private state: State = 'text';
  /** The tag name, attribute name, or `<!`/`<?` word being read (capped: only its start matters). */
  private word = '';
  /** The start of an attribute value, without the blanks and controls browsers skip in URLs. */
  private value = '';
  private quote = '';

  /** Feeds the next bytes; the verdict so far (once not `text`, it stays so). */
  push(bytes: Buffer): TextVerdict {
    if (this.verdict !== 'text') return this.verdict;
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      return (this.verdict = 'binary');
    }
    if (CONTROL.test(text)) return (this.verdict = 'binary');
    this.scan(text);
    return this.verdict;
  }

  /** The file has ended: a character cut short at the end makes it binary. */
  end(): TextVerdict {
    if (this.verdict !== 'text') return this.verdict;
    try {
      this.scan(this.decoder.decode());
    } catch {
      this.verdict = 'binary';
    }
    return this.verdict;
  }

  private found(): void {
    this.verdict = 'markup';
  }

  private scan(text: string): void {
    let i = 0;
    while (i < text.length && this.verdict === 'text') {
      if (this.state === 'text') {
        const lt = text.indexOf('<', i);
        if (lt < 0) return;
        i = lt + 1;
        this.state = 'open';
        continue;
      }
      const c = text[i]!;
      this.step(c);
      i += 1;
    }
  }

  // One character of the HTML tokenizer's tag states, simplified to what decides the verdict.
  private step(c: string): void {
    switch (this.state) {
      case 'open':
        if (/[a-z]/i.test(c)) {
          this.state = 'name';
          this.word = c.toLowerCase();
        } else if (c === '!') {
          this.state = 'bang';
          this.word = '';
        } else if (c === '?') {
          this.state = 'pi';
          this.word = '';
        } else if (c !== '<') {
          this.state = 'text';
        }
        return;
      case 'name':
        if (WHITESPACE.test(c) || c === '/' || c === '>') {
          const local = this.word.slice(this.word.lastIndexOf(':') + 1);
          if (MARKUP_ELEMENTS.has(this.word) || MARKUP_ELEMENTS.has(local) || this.word.startsWith('xsl:')) return this.found();
          this.state = c === '>' ? 'text' : 'attrs';
        } else if (this.word.length < 64) {
          this.word += c.toLowerCase();
        }
        return;
      case 'bang':
        this.word += c.toLowerCase();
        if (DECLARATIONS.some((d) => this.word.startsWith(d))) return this.found();
        if (!DECLARATIONS.some((d) => d.startsWith(this.word))) this.state = 'text';
        return;
      case 'pi':
        this.word += c.toLowerCase();
        if (this.word === 'xml') return this.found();
        if (!'xml'.startsWith(this.word)) this.state = 'text';
        return;
      case 'attrs':
        if (c === '>') this.state = 'text';
        else if (!WHITESPACE.test(c) && c !== '/') {
          this.state = 'attr-name';
          this.word = c.toLowerCase();
        }
        return;
      case 'attr-name':
        if (c === '=') return this.beforeValue();
        if (c === '>') this.state = 'text';
        else if (c === '/') this.state = 'attrs';
        else if (WHITESPACE.test(c)) this.state = 'after-name';
        else if (this.word.length < 64) this.word += c.toLowerCase();
        return;
      case 'after-name':
        if (c === '=') return this.beforeValue();
        if (c === '>') this.state = 'text';
        else if (c === '/') this.state = 'attrs';
        else if (!WHITESPACE.test(c)) {
          this.state = 'attr-name';
          this.word = c.toLowerCase();
        }
        return;
      case 'before-value':
        if (WHITESPACE.test(c)) return;
        this.value = '';
        if (c === '"' || c === "'") {
          this.quote = c;
          this.state = 'value';
        } else if (c === '>') {
          this.state = 'text';
        } else {
          this.state = 'unquoted';
          this.valueChar(c);
        }
        return;
      case 'value':
        if (c === this.quote) this.state = 'attrs';
        else this.valueChar(c);
        return;
      case 'unquoted':
        if (WHITESPACE.test(c)) this.state = 'attrs';
        else if (c === '>') this.state = 'text';
        else this.valueChar(c);
        return;
      default:
        return;
    }
  }

  /** An attribute named on… with a value is an event handler: script, whatever the tag. */
  private beforeValue(): void {
    if (/^on[a-z]/.test(this.word) && this.word !== 'on') return this.found();
    this.state = 'before-value';
  }

  private valueChar(c: string): void {
    if (this.value.length >= 16) return;
    // Browsers skip blanks and controls inside a URL's scheme: "java\tscript:" runs too.
    if (/\s/.test(c)) return;
    this.value += c.toLowerCase();
    if (this.value.startsWith('javascript:') || this.value.startsWith('vbscript:')) this.found();
  }
}

/** The verdict on a whole text held in memory (a file's first bytes, which may end mid-character). */
export function scanHead(head: Buffer): TextVerdict {
  const scan = new TextScan();
  // The sample may end inside a character: up to three trailing bytes of it are left out.
  let end = head.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = head[end - back]!;
    if ((byte & 0xc0) === 0xc0) {
      end -= back;
      break;
    }
    if ((byte & 0x80) === 0) break;
  }
  scan.push(head.subarray(0, end));
  return scan.end();
}

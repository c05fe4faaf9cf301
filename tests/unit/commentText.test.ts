import { describe, expect, it } from 'vitest';
import { isSafeHref, mentionedPeople, tokenizeComment } from '../../src/lib/model/commentText.js';

const PEOPLE = [
  { id: 'p-ana', name: 'Ana' },
  { id: 'p-ana-lima', name: 'Ana Lima' },
  { id: 'p-bo', name: 'Bo' },
  { id: 'p-nameless', name: '' }
];

describe('markup is shown as typed', () => {
  it.each([
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    '<a href="javascript:alert(1)">click</a>',
    '&lt;b&gt; & <b>bold</b>'
  ])('%s is one plain text token', (text) => {
    expect(tokenizeComment(text, PEOPLE)).toEqual([{ type: 'text', text }]);
  });

  it('every token joined gives back exactly the typed text', () => {
    const text = '<b>@Ana</b> see https://example.com/?q=<x> and <script>@Bo</script>';
    expect(
      tokenizeComment(text, PEOPLE)
        .map((t) => t.text)
        .join('')
    ).toBe(text);
  });
});

describe('links', () => {
  it('http, https, mailto and bare domains become links with safe hrefs', () => {
    expect(
      tokenizeComment(
        'See http://a.example/x, https://b.example/y?z=1 or mail mailto:c@example.org and example.com'
      )
    ).toEqual([
      { type: 'text', text: 'See ' },
      { type: 'link', text: 'http://a.example/x', href: 'http://a.example/x' },
      { type: 'text', text: ', ' },
      { type: 'link', text: 'https://b.example/y?z=1', href: 'https://b.example/y?z=1' },
      { type: 'text', text: ' or mail ' },
      { type: 'link', text: 'mailto:c@example.org', href: 'mailto:c@example.org' },
      { type: 'text', text: ' and ' },
      { type: 'link', text: 'example.com', href: 'http://example.com' }
    ]);
  });

  it('an email address becomes a mailto link', () => {
    expect(tokenizeComment('write to ana@example.com')).toEqual([
      { type: 'text', text: 'write to ' },
      { type: 'link', text: 'ana@example.com', href: 'mailto:ana@example.com' }
    ]);
  });

  it.each(['javascript:alert(1)', 'JavaScript:alert(document.cookie)', 'data:text/html,<b>hi</b>'])(
    '%s stays text',
    (text) => {
      expect(tokenizeComment(text)).toEqual([{ type: 'text', text }]);
    }
  );

  it('an ftp link stays text', () => {
    expect(tokenizeComment('ftp://files.example/a')).toEqual([
      { type: 'text', text: 'ftp://files.example/a' }
    ]);
  });

  it('every link href is http(s) or mailto', () => {
    const text = 'a.io https://x.y ftp://q.r javascript:void(0) m@n.org HTTP://CAPS.EXAMPLE';
    for (const token of tokenizeComment(text)) {
      if (token.type === 'link') expect(token.href).toMatch(/^(https?:|mailto:)/i);
    }
    expect(isSafeHref('javascript:alert(1)')).toBe(false);
    expect(isSafeHref('HTTPS://example.com')).toBe(true);
    expect(isSafeHref(' https://example.com')).toBe(false);
  });
});

describe('mentions', () => {
  it('the longest member name wins', () => {
    expect(tokenizeComment('@Ana Lima can you check?', PEOPLE)).toEqual([
      { type: 'mention', text: '@Ana Lima', personId: 'p-ana-lima' },
      { type: 'text', text: ' can you check?' }
    ]);
    expect(tokenizeComment('@Ana, can you check?', PEOPLE)).toEqual([
      { type: 'mention', text: '@Ana', personId: 'p-ana' },
      { type: 'text', text: ', can you check?' }
    ]);
  });

  it('is case-insensitive and keeps the text as typed', () => {
    expect(tokenizeComment('ping @ana lima and @BO.', PEOPLE)).toEqual([
      { type: 'text', text: 'ping ' },
      { type: 'mention', text: '@ana lima', personId: 'p-ana-lima' },
      { type: 'text', text: ' and ' },
      { type: 'mention', text: '@BO', personId: 'p-bo' },
      { type: 'text', text: '.' }
    ]);
  });

  it('a name must end at a word boundary', () => {
    expect(tokenizeComment('@Anabel and @Bob', PEOPLE)).toEqual([
      { type: 'text', text: '@Anabel and @Bob' }
    ]);
  });

  it('not inside an email address', () => {
    expect(tokenizeComment('mail bo@ana.com', PEOPLE)).toEqual([
      { type: 'text', text: 'mail ' },
      { type: 'link', text: 'bo@ana.com', href: 'mailto:bo@ana.com' }
    ]);
    // Not a domain, so no link either: still not a mention after a letter.
    expect(tokenizeComment('x@Ana', PEOPLE)).toEqual([{ type: 'text', text: 'x@Ana' }]);
  });

  it('unknown names and a lone @ stay text', () => {
    expect(tokenizeComment('@Zed @ @', PEOPLE)).toEqual([{ type: 'text', text: '@Zed @ @' }]);
  });

  it('mentions and links together', () => {
    expect(tokenizeComment('@Bo see https://example.com @Ana', PEOPLE)).toEqual([
      { type: 'mention', text: '@Bo', personId: 'p-bo' },
      { type: 'text', text: ' see ' },
      { type: 'link', text: 'https://example.com', href: 'https://example.com' },
      { type: 'text', text: ' ' },
      { type: 'mention', text: '@Ana', personId: 'p-ana' }
    ]);
  });

  it('mentionedPeople lists each person once, in order', () => {
    expect(mentionedPeople('@Bo @Ana Lima @bo @Ana', PEOPLE)).toEqual([
      'p-bo',
      'p-ana-lima',
      'p-ana'
    ]);
    expect(mentionedPeople('nobody here', PEOPLE)).toEqual([]);
  });
});

import { maskSecretValues, placeErrors } from './configuration-lines';

describe('configuration errors placed on the lines of the pasted text', () => {
  const text = ['{', '  "slack": {', '    "Slack-1": {', '      "CLIENT_ID": "1234.5678",', '      "CLIENT_SECRET": "<client secret here>"', '    }', '  },', '  "gmail": {}', '}'].join('\n');

  it('puts each error on the line of its JSON pointer, a missing member on its parent, a syntax error on the line it names', () => {
    const placed = placeErrors(text, [
      { path: '/slack/Slack-1/CLIENT_SECRET', message: 'a placeholder is left in' },
      { path: '/gmail', message: 'unknown connector type "gmail"' },
      { path: '/slack/Slack-1/CLIENT_ID_TYPO', message: 'missing' },
    ]);
    expect(placed.map((p) => p.line)).toEqual([5, 8, 3]);
    expect(placed[0].text).toBe('"CLIENT_SECRET": "********"');
    expect(placed[1].text).toBe('"gmail": {}');
    const broken = placeErrors('{\n  "slack": {\n    "A": 1,,\n', [{ path: '/slack', message: 'not valid JSON at line 3, column 12: expected a quoted key but found ","' }]);
    expect(broken[0].line).toBe(2);
    expect(placeErrors('{\n\n  x', [{ path: '', message: 'not valid JSON at line 3, column 3: expected a quoted key' }])[0]).toMatchObject({ line: 3, text: 'x' });
  });

  it('masks the value of every member named like a secret, also inside a template string, and nothing else', () => {
    expect(maskSecretValues('"CLIENT_SECRET": "s3cr\\"et", "CLIENT_ID": "abc"')).toBe('"CLIENT_SECRET": "********", "CLIENT_ID": "abc"');
    expect(maskSecretValues('{"consumer_secret":"x1","Api-Key": "x2", "password" : "x3"}')).toBe('{"consumer_secret":"********","Api-Key": "********", "password" : "********"}');
    expect(maskSecretValues('"oauth2_token_data": ["{\\"client_secret\\":\\"literal-Secret9\\"}"]')).toBe('"oauth2_token_data": ["{\\"client_secret\\":\\"********\\"}"]');
    expect(maskSecretValues('"AUTH_URL": "https://idp.example.com/auth"')).toBe('"AUTH_URL": "https://idp.example.com/auth"');
  });
});

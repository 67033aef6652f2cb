// Configuration files of any size, built from the product's own template (GET .../template) with
// every <placeholder> filled, so the benchmark loads what an operator would.
'use strict';

const PLACEHOLDER = /<[^<>]*>/;

/** A realistic value for a template placeholder, unique per provider where it matters. */
function fillValue(key, type, index) {
  if (/^base_url$/i.test(key)) return `https://pf${index}.example.com:9031`;
  if (/url/i.test(key)) return `https://idp${index}.example.com/${type}/${key.toLowerCase()}`;
  if (/secret/i.test(key)) return `secret-${type}-${index}-${(index * 2654435761 >>> 0).toString(16).padStart(8, '0')}`;
  if (/tenant/i.test(key)) return `tenant${index}`;
  if (/subdomain/i.test(key)) return `company${index}`;
  return `${key.toLowerCase()}-${type}-${index}`;
}

/** Replaces every string holding a <placeholder>, at any depth, keeping everything else as is. */
function fill(value, key, type, index) {
  if (typeof value === 'string') return PLACEHOLDER.test(value) ? fillValue(key, type, index) : value;
  if (Array.isArray(value)) return value.map((item) => fill(item, key, type, index));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, k, type, index)]));
  }
  return value;
}

/**
 * `count` providers spread round-robin over the template's connector types (26 x 100 = 2,600 gives
 * 100 per type). Each is the type's first sample provider with its placeholders filled and a
 * distinct name. Returns the file as text, exactly what is POSTed.
 */
function providerFile(template, count) {
  const types = Object.keys(template);
  const samples = types.map((type) => {
    const [[name, parameters]] = Object.entries(template[type]);
    return { type, base: name.slice(0, 48), parameters };
  });
  const file = {};
  for (let i = 0; i < count; i++) {
    const sample = samples[i % samples.length];
    const n = Math.floor(i / samples.length) + 1;
    (file[sample.type] ??= {})[`${sample.base}-${n}`] = fill(sample.parameters, '', sample.type, i);
  }
  return JSON.stringify(file, null, 2);
}

module.exports = { providerFile, fill };

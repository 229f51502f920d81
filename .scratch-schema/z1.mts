import { z } from 'zod';
const ts = z.union([z.string().regex(/^\d{4}$/), z.int().min(0)]);
const s = z.object({ a: z.string().regex(/^[a-z]+$/).max(3), occurredAt: ts, c: z.string().refine(v => v === 'x', { params: { reason: 'unknown_currency' }, message: 'not a code' }) });
for (const v of [{a:'ABCDE', occurredAt:'x', c:'y'}, {a:'ab', occurredAt: true, c:'x'}, {a:'ab', occurredAt: -1, c: 5}, {a:'ab', occurredAt: 1.5, c:'x', extra: 1}]) {
  const r = s.safeParse(v); console.log(JSON.stringify(r.success ? r.data : r.error.issues));
}
const du = z.discriminatedUnion('type', [z.object({type: z.literal('a'), x: z.string()}), z.object({type: z.literal('b'), y: z.number()})]);
console.log(JSON.stringify(du.safeParse({type:'c'}).error?.issues), JSON.stringify(du.safeParse({type:'b', y:'s'}).error?.issues), JSON.stringify(du.safeParse(null).error?.issues));
console.log(JSON.stringify(z.toJSONSchema(s, {io:'input'}), null, 1));
const m = z.string().refine(() => true).meta({ pattern: '^x$' });
console.log(JSON.stringify(z.toJSONSchema(z.object({m, d: z.enum(['a','b']).default('a')}), {io:'input'})));

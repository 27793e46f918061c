/**
 * The schemas of `payPeriod` and `payroll` (README, "Pay periods and payroll
 * rules"). A pay period is an object in the file, `{ "kind": "monthly",
 * "startDay": 26 }`, or its short form anywhere (`monthly:26`), which is how
 * BADGECLOCK_PAY_PERIOD gives it. Every message names the value it got.
 */
import { z } from 'zod';
import { dayNumberOf, WEEKDAYS, type PayPeriod } from '../../streams/payPeriod';
import type { PayrollRules } from '../../streams/payroll';

/** A message that ends with the value the setting got, for values inside an object. */
const got =
  (expected: string) =>
  (issue: { readonly input?: unknown }): string =>
    issue.input === undefined
      ? `${expected}, got nothing`
      : `${expected}, got ${JSON.stringify(issue.input)}`;

const SHORT_FORMS =
  'expected "weekly", "weekly:<first day>", "biweekly:<YYYY-MM-DD>", "semimonthly", "monthly" or "monthly:<1-28>" (or in the file an object such as { "kind": "monthly", "startDay": 26 })';

const weekdaySchema = z.enum(WEEKDAYS, {
  error: got('expected a day of the week, "monday" … "sunday"'),
});

const payPeriodObjectSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('weekly'), firstDay: weekdaySchema.default('monday') }),
    z.strictObject({
      kind: z.literal('biweekly'),
      anchor: z
        .string({ error: got('expected the first day of one pay period, "YYYY-MM-DD"') })
        .refine((text) => dayNumberOf(text) !== null, {
          error: got('expected the first day of one pay period, a real date "YYYY-MM-DD"'),
        }),
    }),
    z.strictObject({ kind: z.literal('semimonthly') }),
    z.strictObject({
      kind: z.literal('monthly'),
      // 29-31 do not exist in every month; a period "from the 31st" would have no clear start.
      startDay: z
        .number({ error: got('expected the day of the month a period starts, 1-28') })
        .int({ error: got('expected the day of the month a period starts, 1-28') })
        .min(1, { error: got('expected the day of the month a period starts, 1-28') })
        .max(28, {
          error: got(
            'expected the day of the month a period starts, 1-28 (29-31 are not in every month)',
          ),
        })
        .optional(),
    }),
  ],
  {
    // A whole value that is wrong is named after the message (configErrors); a kind inside is named here.
    error: (issue) =>
      typeof issue.input === 'object' && issue.input !== null
        ? got('expected "kind" to be "weekly", "biweekly", "semimonthly" or "monthly"')({
            input: 'kind' in issue.input ? issue.input.kind : undefined,
          })
        : SHORT_FORMS,
  },
);

/** The short form `kind[:argument]` as the object it stands for; anything else is left for the schema to refuse. */
function fromShortForm(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const match = /^\s*(weekly|biweekly|semimonthly|monthly)(?::(.*))?$/i.exec(value);
  if (match === null) return value;
  const kind = (match[1] ?? '').toLowerCase();
  const argument = match[2]?.trim();
  if (argument === undefined) return { kind };
  switch (kind) {
    case 'weekly':
      return { kind, firstDay: argument.toLowerCase() };
    case 'biweekly':
      return { kind, anchor: argument };
    case 'monthly':
      return { kind, startDay: /^\d+$/.test(argument) ? Number(argument) : argument };
    default:
      return value;
  }
}

/** `payPeriod`: how the report's `--period` cuts time; weekly from Monday unless set. */
export const payPeriodSchema: z.ZodType<PayPeriod> = z.preprocess(
  fromShortForm,
  payPeriodObjectSchema,
);

const breakRuleSchema = z.strictObject({
  after: z
    .number({ error: got('expected the hours worked in a day from which the break applies') })
    .gt(0, { error: got('expected hours worked above 0') })
    .max(24, { error: got('expected hours worked in a day, at most 24') }),
  minutes: z
    .number({ error: got('expected the minutes of break taken off') })
    .int({ error: got('expected whole minutes') })
    .min(1, { error: got('expected minutes from 1 to 240') })
    .max(240, { error: got('expected minutes from 1 to 240') }),
});

/** Break rules: each `after` once, and a longer day never takes off less than a shorter one. */
const breaksSchema = z
  .array(breakRuleSchema, {
    error: got(
      'expected a list such as [{ "after": 6, "minutes": 30 }, { "after": 9, "minutes": 45 }]',
    ),
  })
  .superRefine((rules, ctx) => {
    const sorted = [...rules.entries()].sort(([, a], [, b]) => a.after - b.after);
    sorted.forEach(([index, rule], i) => {
      const before = sorted[i - 1]?.[1];
      if (before === undefined) return;
      if (before.after === rule.after)
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `after ${rule.after} hours is given twice`,
        });
      else if (before.minutes > rule.minutes)
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `${rule.minutes} minutes after ${rule.after} hours is less than ${before.minutes} minutes after ${before.after} hours`,
        });
    });
  });

const roundingSchema = z.strictObject({
  to: z.union([z.literal(1), z.literal(5), z.literal(6), z.literal(15)], {
    error: got('expected minutes to round to: 1, 5, 6 or 15'),
  }),
  mode: z
    .enum(['nearest', 'up', 'down'], { error: got('expected "nearest", "up" or "down"') })
    .default('nearest'),
});

/** `payroll`: optional rules for the separate Paid figure; the raw hours never change. */
export const payrollSchema: z.ZodType<PayrollRules> = z.strictObject(
  { breaks: breaksSchema.default([]), rounding: roundingSchema.optional() },
  {
    error:
      'expected { "breaks": [{ "after": 6, "minutes": 30 }], "rounding": { "to": 15, "mode": "nearest" } } (either may be left out)',
  },
);

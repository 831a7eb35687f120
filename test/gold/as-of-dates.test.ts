import { asOfDates } from '../../lambdas/gold-build/handler';

describe('as-of dates of a Gold build request', () => {
  it('one date, the latest data, or every day of a range', () => {
    expect(asOfDates({ asOf: '2020-11-28' })).toEqual(['2020-11-28']);
    expect(asOfDates({})).toEqual([undefined]);
    expect(asOfDates({ from: '2020-02-27', to: '2020-03-01' })).toEqual(['2020-02-27', '2020-02-28', '2020-02-29', '2020-03-01']);
  });

  it.each([
    [{ asOf: '2020-11-28', from: '2020-11-01', to: '2020-11-02' }, 'give either asOf or from/to, not both'],
    [{ from: '2020-11-01' }, 'from and to must both be YYYY-MM-DD dates, got from=2020-11-01 to=undefined'],
    [{ from: '2020-11-03', to: '2020-11-01' }, 'from 2020-11-03 is after to 2020-11-01'],
    [{ from: '2019-01-01', to: '2020-12-31' }, 'a backfill covers at most 366 days; split it'],
  ])('refuses %j', (event, message) => {
    expect(() => asOfDates(event)).toThrow(message);
  });
});

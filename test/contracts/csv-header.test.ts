import { loadContracts } from '../../lambdas/shared/contracts';
import { checkCsvHeader, csvHeaderFields } from '../../lambdas/shared/csv-header';

const pays = loadContracts().find((c) => c.name === 'pays')!;

describe('CSV headers (read the same way by the transform and the ingest API)', () => {
  it.each<[string, string, string, string, string[]]>([
    ['plain fields', 'a,b,c', ',', '"', ['a', 'b', 'c']],
    ['quoted fields with the delimiter inside, a doubled quote, an empty last field', 'a,"b,c","d""e",', ',', '"', ['a', 'b,c', 'd"e', '']],
    ['an escape character before a quote', '"pay\\"date";total', ';', '\\', ['pay"date', 'total']],
    ['spaces around fields are not part of the name', ' pay_date , "total" ', ',', '"', ['pay_date', 'total']],
    ['a quote inside an unquoted field is a character', 'pa"y,b', ',', '"', ['pa"y', 'b']],
  ])('%s', (_case, line, delimiter, escape, fields) => {
    expect(csvHeaderFields(line, { delimiter, quote: '"', escape })).toEqual(fields);
  });

  it("checks a line against the contract's header, in order", () => {
    expect(checkCsvHeader(pays, '"pay_date","total","user_id","value_prop"')).toEqual({
      header: ['pay_date', 'total', 'user_id', 'value_prop'],
      expected: ['pay_date', 'total', 'user_id', 'value_prop'],
      ok: true,
    });
    expect(checkCsvHeader(pays, 'total,pay_date,user_id,value_prop').ok).toBe(false);
    expect(checkCsvHeader(pays, 'pay_date,total,user_id').ok).toBe(false);
  });
});

import test from 'tape'
test('x', (t) => { t.pass('ok'); t.end() })

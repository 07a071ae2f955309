#!/usr/bin/env python3
"""Assemble hand-written thread files (src/*.txt) into posts.jsonl / comments.jsonl and validate.
Format:
## sub | author | score | days | truth [| num_comments_override]
T: title
selftext lines...
> author | score | truth        (top-level comment)
>> author | score | truth       (reply to most recent '>' comment)
body lines...
"""
import sys, os, json, glob, random, re, collections
corp = sys.argv[1]
seed = next((a for a in sys.argv[2:] if not a.startswith('--')), corp)
rng = random.Random(seed)
B36 = '0123456789abcdefghijklmnopqrstuvwxyz'
used = set()
def newid(prefix, n):
    while True:
        s = ''.join(rng.choice(B36) for _ in range(n))
        if s not in used and not s.isdigit():
            used.add(s); return prefix + s
def tr(t):
    t = t.strip()
    return 'noise' if t in ('n', 'noise') else t
posts, comments = [], []
for fn in sorted(glob.glob(os.path.join(corp, 'src', '*.txt'))):
    cur = None; stack = {}; item = None
    def flush():
        global item
        if item is not None:
            body = '\n'.join(item.pop('_lines')).strip()
            if item['_kind'] == 'post':
                item['selftext'] = body
            else:
                item['body'] = body
            if not (item.get('title') if item['_kind']=='post' else body):
                raise SystemExit(f'empty item in {fn}: {item}')
            item = None
    for ln, line in enumerate(open(fn, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if line.startswith('## '):
            flush()
            parts = [p.strip() for p in line[3:].split('|')]
            sub, author, score, days, truth = parts[:5]
            pid = newid('t3_', rng.choice([6, 7]))
            item = {'_kind': 'post', 'id': pid, 'subreddit': sub, 'author': author, 'title': None,
                    'selftext': '', 'score': int(score), 'num_comments': None,
                    'created_days_ago': float(days), 'truth': tr(truth), '_lines': [],
                    '_nc': int(parts[5]) if len(parts) > 5 else None, '_src': f'{fn}:{ln}'}
            cur = item; posts.append(item); stack = {0: (pid, float(days))}
        elif line.startswith('T: ') and item is not None and item['_kind'] == 'post' and item['title'] is None:
            item['title'] = line[3:].strip()
        elif re.match(r'^>+ ', line):
            flush()
            depth = len(line) - len(line.lstrip('>'))
            parts = [p.strip() for p in line[depth:].split('|')]
            author, score, truth = parts
            if depth - 1 not in stack:
                raise SystemExit(f'bad depth {fn}:{ln}')
            parent_id, pdays = stack[depth - 1]
            d = max(0.0, round(pdays - rng.uniform(0.02, min(2.0, max(0.03, pdays * 0.5))), 2))
            if d > pdays: d = pdays
            cid = newid('t1_', 7)
            item = {'_kind': 'comment', 'id': cid, 'post_id': cur['id'], 'parent_id': parent_id,
                    'author': author, 'body': '', 'score': int(score), 'created_days_ago': d,
                    'truth': tr(truth), '_lines': [], '_src': f'{fn}:{ln}'}
            comments.append(item)
            stack = {k: v for k, v in stack.items() if k < depth}
            stack[depth] = (cid, d)
        else:
            if item is None:
                if line.strip(): raise SystemExit(f'orphan text {fn}:{ln}: {line}')
                continue
            item['_lines'].append(line)
    flush()
# num_comments
cnt = collections.Counter(c['post_id'] for c in comments)
for p in posts:
    p['num_comments'] = p['_nc'] if p['_nc'] is not None else cnt[p['id']]
# validation
errs = []
truth = json.load(open(os.path.join(corp, 'truth.json')))
pain_ids = [p['id'] for p in truth['pains']]
ids = [p['id'] for p in posts] + [c['id'] for c in comments]
if len(ids) != len(set(ids)): errs.append('duplicate ids')
allids = set(ids); postd = {p['id']: p for p in posts}; comd = {c['id']: c for c in comments}
for p in posts:
    if not re.fullmatch(r't3_[0-9a-z]{6,7}', p['id']): errs.append('bad id ' + p['id'])
    if not (0 <= p['created_days_ago'] <= 29.5): errs.append('days ' + p['_src'])
    if p['truth'] not in pain_ids + ['noise']: errs.append('truth ' + p['_src'])
    if not p['title']: errs.append('no title ' + p['_src'])
    if p['num_comments'] < cnt[p['id']]: errs.append('ncom ' + p['_src'])
for c in comments:
    if c['parent_id'] not in allids: errs.append('parent ' + c['_src'])
    if c['post_id'] not in postd: errs.append('post ' + c['_src'])
    par = postd.get(c['parent_id']) or comd.get(c['parent_id'])
    if c['created_days_ago'] > par['created_days_ago']: errs.append('time ' + c['_src'])
    if c['truth'] not in pain_ids + ['noise']: errs.append('truth ' + c['_src'])
items = posts + comments
by = collections.defaultdict(list)
for it in items: by[it['truth']].append(it)
print(f'posts={len(posts)} comments={len(comments)} total={len(items)}')
noise = len(by['noise']); print(f'noise={noise} ({noise/len(items):.1%})')
for pid in pain_ids:
    its = by[pid]; auths = collections.Counter(i['author'] for i in its)
    dup = {a: n for a, n in auths.items() if n > 1}
    np_ = sum(1 for i in its if 'title' in i)
    print(f'{pid}: items={len(its)} posts={np_} authors={len(auths)} dup={dup}')
    if len(auths) < 18: errs.append(f'{pid} only {len(auths)} authors')
    if dup: errs.append(f'{pid} duplicate authors {dup}')
subs = collections.Counter(p['subreddit'] for p in posts); print('subs', dict(subs))
if len(subs) != 5: errs.append('need 5 subs')
if noise / len(items) < 0.40: errs.append('noise < 40%')
print('ERRORS:' if errs else 'OK', *errs[:50], sep='\n  ')
if '--write' in sys.argv:
    with open(os.path.join(corp, 'posts.jsonl'), 'w') as f:
        for p in posts:
            f.write(json.dumps({k: p[k] for k in ['id','subreddit','author','title','selftext','score','num_comments','created_days_ago','truth']}, ensure_ascii=False) + '\n')
    with open(os.path.join(corp, 'comments.jsonl'), 'w') as f:
        for c in comments:
            f.write(json.dumps({k: c[k] for k in ['id','post_id','parent_id','author','body','score','created_days_ago','truth']}, ensure_ascii=False) + '\n')
    print('written')

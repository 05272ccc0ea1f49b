package merge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/distillery-hpc/distillery/shard"
)

// judgeCache remembers the judge's verdicts in <run.dir>/judge/verdicts.jsonl,
// one JSON line per ruling, so that merging again (after a crash, after
// resuming a few shards, with another min_correct) asks the judge only
// about what it has not ruled on: on a full campaign that is ~100k
// requests to a 70B model. A ruling is keyed by the judge model and the
// whole prompt, so a changed answer, generation or prompt is judged anew.
// Failed requests are not cached. Each ruling is written to the file as it
// comes (a merge killed midway keeps every ruling it received: the kernel
// has the bytes), and the file is fsynced after each shard (against a node
// crash); a torn last line is cut off on reading.
type judgeCache struct {
	path string
	mu   sync.Mutex
	seen map[string]cachedVerdict
	f    *os.File
	err  error // first write error; reported at sync
}

type cachedVerdict struct {
	Verdict JudgeVerdict
	Found   bool
}

type cacheLine struct {
	Key     string       `json:"key"`
	UUID    string       `json:"uuid"`
	Index   int          `json:"index"`
	Answer  string       `json:"answer,omitempty"` // the normalised predicted answer the ruling is on
	Model   string       `json:"model"`
	Verdict JudgeVerdict `json:"verdict"`
	Found   bool         `json:"found"` // false: the reply had no verdict
	Reply   string       `json:"reply"` // clipped to maxCachedReply bytes
}

// maxCachedReply keeps the file small while leaving enough of a reply to
// see why the judge ruled as it did.
const maxCachedReply = 2000

// judgeKey is the key of a ruling on one generation's prompt (merge
// before judge calls were shared by answer; still looked up).
func judgeKey(model, prompt string) string {
	return hashKey(model, prompt)
}

// judgeAnswerKey is the key of a ruling on one predicted answer to a
// problem: the judge model, the prompt template, the problem, its gold
// answer and the normalised predicted answer.
func judgeAnswerKey(model, problem, gold, answer string) string {
	return "a:" + hashKey(model, judgePromptTemplate, problem, gold, answer)
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// openJudgeCache reads the cache file, if any, and opens it for appending.
func openJudgeCache(path string) (*judgeCache, error) {
	c := &judgeCache{path: path, seen: map[string]cachedVerdict{}}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the judge cache: %w", err)
	}
	good := 0 // bytes up to the last whole line
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break // torn last line
		}
		var l cacheLine
		if json.Unmarshal(data[off:off+i], &l) == nil && l.Key != "" {
			c.seen[l.Key] = cachedVerdict{Verdict: l.Verdict, Found: l.Found}
		}
		off += i + 1
		good = off
	}
	if err := os.MkdirAll(filepath.Dir(path), shard.DirPerm); err != nil {
		return nil, fmt.Errorf("creating the judge cache directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, shard.FilePerm)
	if err != nil {
		return nil, fmt.Errorf("opening the judge cache: %w", err)
	}
	// Cut a torn last line so that new lines start on a line of their own.
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return nil, fmt.Errorf("repairing the judge cache %s: %w", path, err)
	}
	if _, err := f.Seek(int64(good), 0); err != nil {
		f.Close()
		return nil, err
	}
	c.f = f
	return c, nil
}

func (c *judgeCache) lookup(key string) (cachedVerdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.seen[key]
	return v, ok
}

func (c *judgeCache) add(l cacheLine) {
	if len(l.Reply) > maxCachedReply {
		l.Reply = l.Reply[len(l.Reply)-maxCachedReply:]
	}
	b, _ := json.Marshal(l)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[l.Key] = cachedVerdict{Verdict: l.Verdict, Found: l.Found}
	if c.err == nil {
		_, c.err = c.f.Write(append(b, '\n'))
	}
}

// sync makes the lines added so far durable.
func (c *judgeCache) sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = c.f.Sync()
	}
	if c.err != nil {
		return fmt.Errorf("writing the judge cache %s: %w", c.path, c.err)
	}
	return nil
}

func (c *judgeCache) close() error {
	err := c.sync()
	if cerr := c.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing the judge cache %s: %w", c.path, cerr)
	}
	return err
}

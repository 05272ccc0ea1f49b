package merge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/verify"
)

// What goes to the judge, as OpenR1 did it for OpenR1-Math-220k: every
// generation the verifier is unsure about, and, with [judge]
// judge_rejected (the default), every generation it called different
// whose reasoning is complete and whose answer is boxed. The judge rules
// on final answers, so generations of one problem that give the same
// answer (after normalising its spelling) share one call: the prompt is
// that of the first of them, the ruling goes to all.

// judgeGroup is one judge call: a problem, its gold answer, one
// normalised predicted answer, and the generations that gave it.
type judgeGroup struct {
	it   *item
	gens []int  // indexes into it.gens, ascending
	key  string // judge cache key
	// legacyKeys are the keys an earlier version of merge cached these
	// rulings under (one per generation: model and whole prompt).
	legacyKeys []string
	answer     string // normalised predicted answer ("" when none was found)
}

// toJudge says whether generation j of it goes to the judge.
func (m *merger) toJudge(it *item, j int) bool {
	switch it.res[j].Verdict {
	case verify.Unsure:
		return true
	case verify.Different:
		g := &it.gens[j]
		return m.opts.Judge.JudgeRejected && ReasoningComplete(g.Text, g.FinishReason) && hasBoxedAnswer(g.Text)
	}
	return false
}

// judgeGroups collects a shard's judge calls, in item and generation
// order.
func (m *merger) judgeGroups(items []item) []*judgeGroup {
	var groups []*judgeGroup
	for i := range items {
		it := &items[i]
		byAnswer := map[string]*judgeGroup{}
		for j := range it.res {
			if !m.toJudge(it, j) {
				continue
			}
			ans := normaliseAnswer(it.res[j].PredParsed)
			if g := byAnswer[ans]; g != nil && ans != "" {
				g.gens = append(g.gens, j)
				g.legacyKeys = append(g.legacyKeys, m.legacyKey(it, j))
				continue
			}
			g := &judgeGroup{it: it, gens: []int{j}, answer: ans, legacyKeys: []string{m.legacyKey(it, j)}}
			if ans != "" {
				g.key = judgeAnswerKey(m.opts.Judge.Model, it.p.Problem, it.p.Answer, ans)
				byAnswer[ans] = g
			} else {
				// No answer to compare: the judge reads this generation's
				// solution, and its ruling is its own.
				g.key = g.legacyKeys[0]
			}
			groups = append(groups, g)
		}
	}
	return groups
}

func (m *merger) prompt(it *item, j int) string {
	return JudgePrompt(it.p.Problem, it.p.Answer, JudgeSolution(it.gens[j].Text, m.opts.Judge.MaxSolutionChars))
}

func (m *merger) legacyKey(it *item, j int) string {
	return judgeKey(m.opts.Judge.Model, m.prompt(it, j))
}

// judgeShard sends a shard's judge calls (or, with no judge, looks them
// up in the rulings an earlier merge cached) and makes the cache durable.
func (m *merger) judgeShard(ctx context.Context, items []item, log *slog.Logger) error {
	groups := m.judgeGroups(items)
	if len(groups) == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, jg := range groups {
		if err := acquire(gctx, m.judgeSem); err != nil {
			break
		}
		g.Go(func() error {
			defer func() { <-m.judgeSem }()
			return m.judgeGroup(gctx, jg, log)
		})
	}
	err := g.Wait()
	if m.cache != nil {
		if cerr := m.cache.sync(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

func (m *merger) judgeGroup(ctx context.Context, jg *judgeGroup, log *slog.Logger) error {
	it := jg.it
	if m.cache != nil {
		for _, k := range append([]string{jg.key}, jg.legacyKeys...) {
			if cv, ok := m.cache.lookup(k); ok {
				m.record(jg, cv.Verdict, cv.Found, true)
				return nil
			}
		}
	}
	if m.opts.JudgeClient == nil {
		return nil // cached rulings only: these stay unjudged
	}
	first := &it.gens[jg.gens[0]]
	res, err := m.opts.JudgeClient.Chat(ctx, openai.ChatRequest{
		Model:       m.opts.Judge.Model,
		Messages:    []openai.Message{{Role: "user", Content: m.prompt(it, jg.gens[0])}},
		Temperature: m.opts.Judge.Temperature,
		TopP:        1,
		MaxTokens:   m.opts.Judge.MaxTokens,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n := m.judgeErrRun.Add(1)
		m.mu.Lock()
		m.sum.JudgeErrors++
		m.mu.Unlock()
		log.Warn("judge request failed; the generations stay unjudged", "uuid", first.UUID, "index", first.Index, "generations", len(jg.gens), "err", err)
		if n >= maxConsecutiveJudgeErrors {
			return fmt.Errorf("the judge at %s failed %d requests in a row (last: %v): check the judge server, then merge again", m.opts.JudgeClient.Endpoint(), n, err)
		}
		return nil
	}
	m.judgeErrRun.Store(0)
	v, found := ParseVerdict(res.Text)
	m.mu.Lock()
	m.sum.JudgeCalls++
	m.sum.JudgePromptTokens += int64(res.PromptTokens)
	m.sum.JudgeCompletionTokens += int64(res.CompletionTokens)
	if res.Model != "" {
		m.sum.JudgeModels[res.Model]++
	}
	m.mu.Unlock()
	if m.cache != nil {
		m.cache.add(cacheLine{Key: jg.key, UUID: first.UUID, Index: first.Index, Answer: jg.answer, Model: m.opts.Judge.Model, Verdict: v, Found: found, Reply: res.Text})
	}
	m.record(jg, v, found, false)
	return nil
}

// record stores a judge ruling on every generation of jg.
func (m *merger) record(jg *judgeGroup, v JudgeVerdict, found, cached bool) {
	ok := v == JudgeEquivalent
	it := jg.it
	m.mu.Lock()
	defer m.mu.Unlock()
	if it.llama == nil {
		it.llama = make([]*bool, len(it.gens))
	}
	if cached {
		m.sum.JudgeCached++
	}
	if !found {
		m.sum.JudgeNoVerdict++
	}
	for _, j := range jg.gens {
		it.llama[j] = &ok
		m.sum.Judged++
		switch v {
		case JudgeEquivalent:
			m.sum.JudgeEquivalent++
		case JudgeDifferent:
			m.sum.JudgeDifferent++
		default:
			m.sum.JudgeAmbiguous++
		}
		if it.res[j].Verdict == verify.Different {
			m.sum.JudgedRejected++
			if ok {
				m.sum.JudgeRecovered++
			}
		}
	}
}

// hasBoxedAnswer reports whether the written-up solution (the text after
// </think>, or the whole text) ends its argument in a non-empty \boxed{}:
// OpenR1's "clean \boxed{}" for judging a rejected answer.
func hasBoxedAnswer(text string) bool {
	if i := strings.LastIndex(text, "</think>"); i >= 0 {
		text = text[i+len("</think>"):]
	}
	for {
		i := strings.LastIndex(text, `\boxed{`)
		if i < 0 {
			return false
		}
		depth, start := 1, i+len(`\boxed{`)
		for k := start; k < len(text); k++ {
			switch text[k] {
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth == 0 {
				if strings.TrimSpace(text[start:k]) != "" {
					return true
				}
				break
			}
		}
		text = text[:i] // an empty or unclosed box: look at the one before
	}
}

// normaliseAnswer is the spelling-blind form of an extracted answer that
// decides which generations share a judge call: no whitespace, no
// thin spaces or $, \dfrac and \tfrac as \frac, \left and \right dropped,
// no trailing full stop.
func normaliseAnswer(a string) string {
	a = strings.NewReplacer(`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\left`, "", `\right`, "",
		`\,`, "", `\;`, "", `\!`, "", `\ `, "", "$", "").Replace(a)
	a = strings.Join(strings.Fields(a), "")
	return strings.TrimSuffix(a, ".")
}

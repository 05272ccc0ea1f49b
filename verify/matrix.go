package verify

// hasMatrix reports a matrix anywhere in n.
func hasMatrix(n *node) bool {
	if n.k == kMatrix {
		return true
	}
	for _, a := range n.args {
		if hasMatrix(a) {
			return true
		}
	}
	return false
}

// matrixReduce rewrites sums, products, negations and scalar quotients of
// matrices into one matrix whose entries are expressions; ok is false when
// the expression is not such a combination or the dimensions do not fit.
func matrixReduce(n *node, budget *int) (*node, bool) {
	*budget--
	if *budget < 0 {
		return nil, false
	}
	if !hasMatrix(n) {
		return n, true
	}
	switch n.k {
	case kMatrix:
		return n, true
	case kNeg:
		m, ok := matrixReduce(n.args[0], budget)
		if !ok || m.k != kMatrix {
			return nil, false
		}
		return mapEntries(m, func(e *node) *node { return &node{k: kNeg, args: []*node{e}} }), true
	case kAdd:
		var acc *node
		for _, a := range n.args {
			m, ok := matrixReduce(a, budget)
			if !ok || m.k != kMatrix {
				return nil, false
			}
			if acc == nil {
				acc = m
				continue
			}
			if !sameDims(acc, m) {
				return nil, false
			}
			out := &node{k: kMatrix}
			for i, r := range acc.args {
				row := &node{k: kTuple}
				for j, e := range r.args {
					row.args = append(row.args, &node{k: kAdd, args: []*node{e, m.args[i].args[j]}})
				}
				out.args = append(out.args, row)
			}
			acc = out
		}
		return acc, true
	case kMul:
		var acc *node
		for _, a := range n.args {
			m, ok := matrixReduce(a, budget)
			if !ok {
				return nil, false
			}
			if acc == nil {
				acc = m
				continue
			}
			switch {
			case acc.k != kMatrix && m.k != kMatrix:
				acc = &node{k: kMul, args: []*node{acc, m}}
			case acc.k != kMatrix:
				s := acc
				acc = mapEntries(m, func(e *node) *node { return &node{k: kMul, args: []*node{s, e}} })
			case m.k != kMatrix:
				acc = mapEntries(acc, func(e *node) *node { return &node{k: kMul, args: []*node{e, m}} })
			default:
				rows, inner, cols := len(acc.args), len(acc.args[0].args), len(m.args[0].args)
				if len(m.args) != inner || rows*cols*inner > 4096 {
					return nil, false
				}
				out := &node{k: kMatrix}
				for i := 0; i < rows; i++ {
					row := &node{k: kTuple}
					for j := 0; j < cols; j++ {
						sum := &node{k: kAdd}
						for k := 0; k < inner; k++ {
							sum.args = append(sum.args, &node{k: kMul, args: []*node{acc.args[i].args[k], m.args[k].args[j]}})
						}
						row.args = append(row.args, sum)
					}
					out.args = append(out.args, row)
				}
				acc = out
			}
		}
		return acc, true
	case kDiv:
		m, ok := matrixReduce(n.args[0], budget)
		if !ok || m.k != kMatrix || hasMatrix(n.args[1]) {
			return nil, false
		}
		d := n.args[1]
		return mapEntries(m, func(e *node) *node { return &node{k: kDiv, args: []*node{e, d}} }), true
	}
	return nil, false
}

func sameDims(a, b *node) bool {
	if len(a.args) != len(b.args) {
		return false
	}
	for i := range a.args {
		if len(a.args[i].args) != len(b.args[i].args) {
			return false
		}
	}
	return true
}

func mapEntries(m *node, f func(*node) *node) *node {
	out := &node{k: kMatrix}
	for _, r := range m.args {
		row := &node{k: kTuple}
		for _, e := range r.args {
			row.args = append(row.args, f(e))
		}
		out.args = append(out.args, row)
	}
	return out
}

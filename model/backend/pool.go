package backend

import "sync"

// Pool opens each backend spec once and shares it; safe for concurrent use.
type Pool struct {
	mu     sync.Mutex
	open   map[string]*Backend
	errors map[string]error
}

// Get returns the backend named spec, opening it on first use. A failed
// open is remembered, so a sweep reports it once per run without retrying.
func (p *Pool) Get(spec string) (*Backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.open[spec]; ok {
		return b, nil
	}
	if err, ok := p.errors[spec]; ok {
		return nil, err
	}
	if p.open == nil {
		p.open, p.errors = map[string]*Backend{}, map[string]error{}
	}
	b, err := Open(spec)
	if err != nil {
		p.errors[spec] = err
		return nil, err
	}
	p.open[spec] = b
	return b, nil
}

// Close finalizes every open backend.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.open {
		b.Finalize()
	}
	p.open = nil
}

package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/registry"
)

// leafKeys returns the TOML keys of a parameter struct's fields, embedded
// structs flattened, with the field each names.
func leafKeys(v reflect.Value) map[string]reflect.Value {
	keys := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, fv := range leafKeys(v.Field(i)) {
				keys[k] = fv
			}
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("toml"), ","); name != "" && name != "-" {
			keys[name] = v.Field(i)
		}
	}
	return keys
}

// mutate changes v to another value of its type; false for a kind it does
// not know.
func mutate(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float()*2 + 0.25)
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		m.SetMapIndex(reflect.ValueOf("mutated"), reflect.ValueOf(any(1)))
		v.Set(m)
	default:
		return false
	}
	return true
}

// TestEveryKeyHashed changes every key of every method's section, one at a
// time, and checks that the config hash changes, unless the method names
// the key as unhashed (registry.Unhashed). A key added with `json:"-"` and
// forgotten in its MarshalJSON fails here: its runs would be mistaken for
// each other's.
func TestEveryKeyHashed(t *testing.T) {
	reg := registry.Default()
	cfg, err := Load(Layers{Preset: "quick"}, reg)
	if err != nil {
		t.Fatal(err)
	}
	methods := make([]string, 0, len(cfg.Methods))
	for m := range cfg.Methods {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	if len(methods) < 10 {
		t.Fatalf("only %d methods with sections: %v", len(methods), methods)
	}
	for _, m := range methods {
		params := cfg.Methods[m]
		var unhashed []string
		if u, ok := params.(registry.Unhashed); ok {
			unhashed = u.UnhashedKeys()
		}
		before := cfg.Hash(m)
		keys := leafKeys(reflect.ValueOf(params).Elem())
		for _, k := range unhashed {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s: unhashed key %s is not a key of its section", m, k)
			}
		}
		for key, field := range keys {
			saved := reflect.New(field.Type()).Elem()
			saved.Set(field)
			if !mutate(field) {
				t.Errorf("%s.%s: the test cannot change a %s", m, key, field.Type())
				continue
			}
			changed := cfg.Hash(m) != before
			field.Set(saved)
			switch want := !slices.Contains(unhashed, key); {
			case changed != want:
				t.Errorf("%s.%s: changing it changes the hash: %v; want %v (a key that changes results must be hashed; one that cannot must be listed by UnhashedKeys)", m, key, changed, want)
			case cfg.Hash(m) != before:
				t.Fatalf("%s.%s: restoring it did not restore the hash", m, key)
			}
		}
	}
}

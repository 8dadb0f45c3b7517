package config

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/external"
)

// Override is one typed setting: Key names a config key as a TOML file
// does ("grid.rhos", "ncae.sigma", "external.knn.timeout",
// "external.knn.params.k"), Value is a string, bool, int, float64 or a
// slice of one of them.
type Override struct {
	Key   string
	Value any
}

// With applies one typed override, without going through TOML text. An
// int value fills a float field, and an integral float64 an int field;
// anything else must match the field's type. It reports an unknown key or a
// value of the wrong type naming the key; it does not validate the value
// (Load does, after every layer).
func (c *Config) With(key string, value any, reg *registry.Registry) error {
	section, rest, ok := strings.Cut(key, ".")
	if !ok || rest == "" {
		return fmt.Errorf("config: %s: want section.key", key)
	}
	target := c.fixedSection(section)
	switch {
	case target != nil:
	case section == "external":
		name, field, ok := strings.Cut(rest, ".")
		if !ok || !external.ValidName(name) {
			return fmt.Errorf("config: %s: want external.NAME.key, NAME of letters, digits, '-' and '_'", key)
		}
		target, rest = c.externalParams(name, reg), field
	default:
		p, ok := c.Methods[section]
		if !ok {
			return fmt.Errorf("config: %s: unknown section [%s]", key, section)
		}
		target = p
	}
	if err := set(reflect.ValueOf(target).Elem(), rest, value); err != nil {
		return fmt.Errorf("config: %s: %w", key, err)
	}
	c.sources = append(c.sources, "setting "+key)
	return nil
}

// set assigns value to the field of struct v whose toml tag is key (or, for
// a map field named by the first part of key, to the map's entry).
func set(v reflect.Value, key string, value any) error {
	name, sub, nested := strings.Cut(key, ".")
	f, ok := field(v, name)
	if !ok {
		return fmt.Errorf("unknown key %q", name)
	}
	if nested {
		if f.Kind() != reflect.Map || f.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("%s is not a table", name)
		}
		if f.IsNil() {
			f.Set(reflect.MakeMap(f.Type()))
		}
		f.SetMapIndex(reflect.ValueOf(sub), reflect.ValueOf(value))
		return nil
	}
	converted, err := convert(reflect.ValueOf(value), f.Type())
	if err != nil {
		return err
	}
	f.Set(converted)
	return nil
}

// field finds the field of struct v tagged toml:"name", looking into
// embedded structs (CAEParams embeds AEParams).
func field(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ","); tag == name {
			return v.Field(i), true
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if f, ok := field(v.Field(i), name); ok {
				return f, true
			}
		}
	}
	return reflect.Value{}, false
}

// convert returns v as type t: the same type, an int for a float, an
// integral float for an int, element by element for slices.
func convert(v reflect.Value, t reflect.Type) (reflect.Value, error) {
	if !v.IsValid() {
		return reflect.Value{}, fmt.Errorf("no value")
	}
	if v.Type() == t && t.Kind() != reflect.Slice { // slices are copied, element by element
		if t.Kind() == reflect.Float64 && v.Float() == 0 {
			return reflect.Zero(t), nil // −0 as +0, as TOML reads it (the hash sees JSON's "-0" otherwise)
		}
		return v, nil
	}
	switch {
	case v.Kind() == reflect.String && t.Kind() == reflect.String: // a word into a named string type (model.Similarity)
		return v.Convert(t), nil
	case t.Kind() == reflect.Float64 && v.CanInt():
		return reflect.ValueOf(float64(v.Int())).Convert(t), nil
	case t.Kind() == reflect.Int && v.CanFloat():
		x := v.Float()
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxInt32 {
			return reflect.Value{}, fmt.Errorf("%v is not a whole number in range", x)
		}
		return reflect.ValueOf(int(x)).Convert(t), nil
	case t.Kind() == reflect.Slice && v.Kind() == reflect.Slice:
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			e, err := convert(v.Index(i), t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("[%d]: %w", i, err)
			}
			out.Index(i).Set(e)
		}
		return out, nil
	}
	return reflect.Value{}, fmt.Errorf("%s: want %s", describe(v), kindName(t))
}

// describe writes a value for a message: strings quoted.
func describe(v reflect.Value) string {
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprint(v.Interface())
}

// kindName says what a field holds, in a user's words.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float64:
		return "a number"
	case reflect.Int:
		return "a whole number"
	case reflect.String:
		return "a word (string)"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(kindName(t.Elem()), "a ") + "s"
	}
	return t.String()
}

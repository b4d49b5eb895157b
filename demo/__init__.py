"""Demo and benchmark data: the synthetic data generator (`demo.datagen`) and the commands that
load it (`generate_data`, `load_demo`). The top layer: it writes rows of every app, and no app
imports it. Faker, which it needs, comes with the `demo` extra."""

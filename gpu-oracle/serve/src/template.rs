//! Chat prompts: the model's `tokenizer.chat_template` (Jinja, as Hugging Face `transformers`
//! renders it: `trim_blocks`, `lstrip_blocks`, Python string methods, `raise_exception`), given
//! `messages`, `add_generation_prompt`, `bos_token` and `eos_token`. A GGUF without a template
//! gets ChatML.

use minijinja::{Environment, ErrorKind};
use serde::Serialize;

/// ChatML, for models whose GGUF carries no template.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

/// Why a template could not be compiled or rendered.
#[derive(Debug, thiserror::Error)]
#[error("chat template: {0}")]
pub struct TemplateError(String);

impl ChatTemplate {
    /// Compiles `source`; `bos` / `eos` are the texts of the model's BOS / EOS tokens.
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> Result<String, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
            },
        );
        env.add_template_owned("chat", source.to_owned())
            .map_err(|e| TemplateError(e.to_string()))?;
        Ok(ChatTemplate {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// The prompt for `(role, content)` messages, ending where the assistant's answer starts.
    pub fn render(&self, messages: &[(String, String)]) -> Result<String, TemplateError> {
        let messages: Vec<Message> = messages
            .iter()
            .map(|(role, content)| Message { role, content })
            .collect();
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| TemplateError(e.to_string()))?;
        tmpl.render(minijinja::context! {
            messages => messages,
            add_generation_prompt => true,
            bos_token => self.bos,
            eos_token => self.eos,
        })
        .map_err(|e| TemplateError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SmolLM2-135M-Instruct's `tokenizer.chat_template`, verbatim from its GGUF.
    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn msgs(m: &[(&str, &str)]) -> Vec<(String, String)> {
        m.iter()
            .map(|(r, c)| (r.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn smollm2_template_renders_as_its_hand_written_twin() {
        let t = ChatTemplate::new(SMOLLM2, "<|im_start|>", "<|im_end|>").expect("compiles");
        for m in [
            vec![("user", "What is 2+2?")],
            vec![
                ("system", "Be terse."),
                ("user", "Hi"),
                ("assistant", "Hello."),
                ("user", "Bye"),
            ],
            vec![("user", "{{ not a template }} {% raw %}")],
        ] {
            assert_eq!(
                t.render(&msgs(&m)).expect("renders"),
                gpu_oracle::llm::Tokenizer::smollm2_chat_prompt(&m)
            );
        }
    }

    #[test]
    fn python_methods_and_raise_exception_work_as_in_transformers() {
        let t = ChatTemplate::new(
            "{% if messages[0]['role'] == 'tool' %}{{ raise_exception('no tools') }}{% endif %}{{ bos_token }}{{ messages[0]['content'].strip() | upper }}",
            "<s>",
            "</s>",
        )
        .expect("compiles");
        assert_eq!(
            t.render(&msgs(&[("user", "  hi  ")])).expect("renders"),
            "<s>HI"
        );
        let err = t.render(&msgs(&[("tool", "x")])).expect_err("raises");
        assert!(err.to_string().contains("no tools"), "{err}");
        assert!(ChatTemplate::new("{% for %}", "", "").is_err());
    }

    #[test]
    fn chatml_fallback() {
        let t = ChatTemplate::new(CHATML, "", "").expect("compiles");
        assert_eq!(
            t.render(&msgs(&[("user", "x")])).expect("renders"),
            "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}

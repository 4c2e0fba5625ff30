"""Which config keys exist and who honours them.

- `TYPED`: keys Batchscope reads itself (typed, checked with their YAML line before anything loads).
- Any other `transformers.TrainingArguments` field is passed to the Trainer as written: the
  Trainer honours it, whatever the engine.
- `LLAMAFACTORY_ONLY`: LLaMA-Factory keys the `transformers` engine cannot honour; a config that
  uses one runs through LLaMA-Factory (or is refused with the install command).
- `ACCEPTED_NO_EFFECT`: keys LLaMA-Factory's examples carry that change nothing about training.
A key in none of these is unknown: an error with a did-you-mean, as LLaMA-Factory refuses it too.
"""
import difflib

SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
              "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "warmup_stable_decay")

# key: (kind, default, constraint). kinds: int, float, bool, str, path, list, resume, choice:<a|b>, any
# A default of None means "not set": the Trainer's own default applies.
TYPED = {
    "engine": ("choice:auto|transformers|llamafactory", "auto", None),
    "model_name_or_path": ("path", None, "required"),
    "template": ("str", None, None),
    "dataset": ("list", None, "required"),
    "dataset_dir": ("path", "data", None),
    "cutoff_len": ("int", 2048, ">=1"),
    "max_samples": ("int", None, ">=1"),
    "val_size": ("float", 0.0, ">=0"),
    "preprocessing_num_workers": ("int", None, ">=1"),
    "stage": ("choice:sft|pt|rm|ppo|dpo|kto", "sft", None),
    "finetuning_type": ("choice:full|lora|freeze", "lora", None),
    "lora_rank": ("int", 8, ">=1"),
    "lora_alpha": ("int", None, ">=1"),
    "lora_dropout": ("float", 0.0, "0..1"),
    "lora_target": ("list", ["all"], None),
    "additional_target": ("list", None, None),
    "freeze_trainable_layers": ("int", 2, None),
    "freeze_trainable_modules": ("list", ["all"], None),
    "freeze_extra_modules": ("list", None, None),
    "quantization_bit": ("choice:4|8", None, None),
    "quantization_type": ("choice:nf4|fp4", "nf4", None),
    "double_quantization": ("bool", True, None),
    "trust_remote_code": ("bool", False, None),
    "nproc_per_node": ("int", 1, ">=1"),
    "nnodes": ("int", 1, ">=1"),
    "node_rank": ("int", 0, ">=0"),
    "master_addr": ("str", "127.0.0.1", None),
    "master_port": ("int", 29500, ">=1"),
    # TrainingArguments we check ourselves (line-accurate errors); the rest pass through as written.
    "output_dir": ("path", None, "required"),
    "per_device_train_batch_size": ("int", None, ">=1"),
    "per_device_eval_batch_size": ("int", None, ">=1"),
    "gradient_accumulation_steps": ("int", None, ">=1"),
    "learning_rate": ("float", None, ">0"),
    "lr_scheduler_type": ("choice:" + "|".join(SCHEDULERS), None, None),
    "warmup_steps": ("float", None, ">=0"),
    "warmup_ratio": ("float", None, "0..1"),
    "weight_decay": ("float", None, ">=0"),
    "max_grad_norm": ("float", None, ">=0"),
    "num_train_epochs": ("float", None, ">0"),
    "max_steps": ("int", None, None),
    "logging_steps": ("float", 10, ">0"),
    "save_steps": ("float", None, ">0"),
    "save_total_limit": ("int", None, ">=1"),
    "eval_steps": ("float", None, ">0"),
    "bf16": ("bool", None, None),
    "fp16": ("bool", None, None),
    "seed": ("int", None, ">=0"),
    "resume_from_checkpoint": ("resume", None, None),
    "gradient_checkpointing": ("bool", None, None),
    "do_train": ("bool", True, None),
    "deepspeed": ("path", None, None),
}

# Keys of our own (never passed to TrainingArguments).
OURS = {"engine", "model_name_or_path", "template", "dataset", "dataset_dir", "cutoff_len", "max_samples",
        "val_size", "preprocessing_num_workers", "stage", "finetuning_type", "lora_rank", "lora_alpha",
        "lora_dropout", "lora_target", "additional_target", "freeze_trainable_layers", "freeze_trainable_modules",
        "freeze_extra_modules", "quantization_bit", "quantization_type", "double_quantization",
        "trust_remote_code", "nproc_per_node", "nnodes", "node_rank", "master_addr", "master_port"}

ACCEPTED_NO_EFFECT = {"overwrite_cache", "overwrite_output_dir", "plot_loss", "ddp_timeout", "preprocessing_batch_size",
                      "print_param_status", "low_cpu_mem_usage", "use_fast_tokenizer", "infer_dtype"}

# LLaMA-Factory keys (model, data, finetuning and generating arguments) that only LLaMA-Factory runs.
LLAMAFACTORY_ONLY = {
    # data
    "eval_dataset", "media_dir", "train_on_prompt", "mask_history", "streaming", "buffer_size", "mix_strategy",
    "interleave_probs", "eval_num_beams", "ignore_pad_token_for_loss", "eval_on_each_dataset", "packing",
    "neat_packing", "tool_format", "default_system", "enable_thinking", "tokenized_path", "data_shared_file_system",
    # model
    "adapter_name_or_path", "adapter_folder", "cache_dir", "resize_vocab", "split_special_tokens", "add_tokens",
    "add_special_tokens", "model_revision", "rope_scaling", "flash_attn", "shift_attn", "mixture_of_depths",
    "use_unsloth", "use_unsloth_gc", "enable_liger_kernel", "moe_aux_loss_coef", "disable_gradient_checkpointing",
    "use_reentrant_gc", "upcast_layernorm", "upcast_lmhead_output", "train_from_scratch", "infer_backend",
    "offload_folder", "use_cache", "hf_hub_token", "ms_hub_token", "om_hub_token", "quantization_method",
    "quantization_device_map", "image_max_pixels", "image_min_pixels", "image_do_pan_and_scan",
    "crop_to_patches", "video_max_pixels", "video_min_pixels", "video_fps", "video_maxlen", "use_audio_in_video",
    "audio_sampling_rate", "export_dir", "export_size", "export_device", "export_quantization_bit",
    "export_quantization_dataset", "export_quantization_nsamples", "export_quantization_maxlen", "export_legacy_format",
    "export_hub_model_id", "vllm_maxlen", "vllm_gpu_util", "vllm_enforce_eager", "vllm_max_lora_rank", "vllm_config",
    "sglang_maxlen", "sglang_mem_fraction", "sglang_tp_size", "sglang_config", "sglang_lora_backend",
    "model_max_length", "block_diag_attn", "kt_optimize_rule", "cpu_infer", "chunk_size", "mode", "use_kt",
    # finetuning
    "use_llama_pro", "use_adam_mini", "use_muon", "use_dft_loss", "freeze_vision_tower", "freeze_multi_modal_projector",
    "freeze_language_model", "compute_accuracy", "disable_shuffling", "early_stopping_steps",
    "include_effective_tokens_per_second", "pure_bf16", "loraplus_lr_ratio", "loraplus_lr_embedding",
    "use_rslora", "use_dora", "pissa_init", "pissa_iter", "pissa_convert", "create_new_adapter",
    "pref_beta", "pref_ftx", "pref_bco_weight", "pref_loss", "dpo_label_smoothing", "kto_chosen_weight",
    "kto_undesirable_weight", "simpo_gamma", "ppo_buffer_size", "ppo_epochs", "ppo_score_norm", "ppo_target",
    "ppo_whiten_rewards", "ref_model", "ref_model_adapters", "ref_model_quantization_bit", "reward_model",
    "reward_model_adapters", "reward_model_quantization_bit", "reward_model_type", "ld_alpha",
    "use_galore", "galore_target", "galore_rank", "galore_update_interval", "galore_scale", "galore_proj_type",
    "galore_layerwise", "use_apollo", "apollo_target", "apollo_rank", "apollo_update_interval", "apollo_scale",
    "apollo_proj", "apollo_proj_type", "apollo_scale_type", "apollo_layerwise", "apollo_scale_front",
    "use_badam", "badam_mode", "badam_start_block", "badam_switch_mode", "badam_switch_interval",
    "badam_update_ratio", "badam_mask_mode", "badam_verbose", "use_swanlab", "swanlab_project",
    "swanlab_workspace", "swanlab_run_name", "swanlab_mode", "swanlab_api_key", "swanlab_logdir",
    "swanlab_lark_webhook_url", "swanlab_lark_secret", "use_mca", "use_ray", "ray_run_name", "ray_storage_path",
    "ray_storage_filesystem", "ray_num_workers", "resources_per_worker", "placement_strategy", "ray_init_kwargs",
    # newer LLaMA-Factory (0.9.5 and main)
    "asft_alpha", "eaft_alpha", "hyper_parallel_args", "init_special_tokens", "kt_expert_checkpoint_path",
    "kt_lora_expert_intermediate_size", "kt_lora_expert_num", "kt_use_lora_experts", "kt_weight_path",
    "kto_rejected_weight", "module_dropout", "new_special_tokens_config", "oft_block_size", "oft_rank", "oft_target",
    "preserve_thinking", "use_asft_loss", "use_eaft_loss", "use_hyper_parallel", "use_kv_cache", "use_v1_kernels",
    # generating (predict/eval stages)
    "do_sample", "temperature", "top_p", "top_k", "num_beams", "max_length", "max_new_tokens",
    "repetition_penalty", "length_penalty", "skip_special_tokens",
}

# TrainingArguments fields that are commonly written: known without importing transformers.
COMMON_TRAINING_ARGUMENTS = {
    "do_eval", "do_predict", "eval_strategy", "evaluation_strategy", "save_strategy", "logging_strategy",
    "logging_dir", "logging_first_step", "report_to", "run_name", "disable_tqdm", "save_only_model",
    "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "dataloader_num_workers",
    "dataloader_pin_memory", "dataloader_persistent_workers", "dataloader_prefetch_factor", "optim",
    "adam_beta1", "adam_beta2", "adam_epsilon", "fsdp", "fsdp_config", "ddp_backend", "ddp_find_unused_parameters",
    "gradient_checkpointing_kwargs", "tf32", "torch_compile", "use_cpu", "group_by_length", "label_names",
    "remove_unused_columns", "include_num_input_tokens_seen", "lr_scheduler_kwargs", "eval_accumulation_steps",
    "prediction_loss_only", "save_safetensors", "push_to_hub", "hub_model_id", "data_seed", "full_determinism",
    "average_tokens_across_devices", "max_steps", "neftune_noise_alpha", "predict_with_generate",
    "generation_max_length", "generation_num_beams", "eval_on_start", "bf16_full_eval", "fp16_full_eval",
}


def training_argument_names():
    """Every field `transformers.TrainingArguments` takes in this interpreter (imports transformers)."""
    import dataclasses

    from transformers import Seq2SeqTrainingArguments

    return {f.name for f in dataclasses.fields(Seq2SeqTrainingArguments) if f.init}


def llamafactory_argument_names():
    """The keys the installed LLaMA-Factory accepts beyond TrainingArguments (empty when it is absent):
    a newer LLaMA-Factory's new keys are known without a Batchscope update."""
    import dataclasses
    import importlib.util

    if importlib.util.find_spec("llamafactory") is None:
        return set()
    try:
        from llamafactory.hparams import DataArguments, FinetuningArguments, GeneratingArguments, ModelArguments
    except Exception:  # noqa: BLE001 - a broken install: the static list stands
        return set()
    return {f.name for c in (ModelArguments, DataArguments, FinetuningArguments, GeneratingArguments)
            for f in dataclasses.fields(c) if f.init}


def did_you_mean(key, candidates):
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.75)
    return close[0] if close else None

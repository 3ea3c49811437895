"""The misconception lines the instructor notebooks' test cells print, by key.

A mistake in ``mistakes.py`` names one key; every test cell that the mistake
fails must say that line in its message (the autograded notebook's error
output). The texts are pinned here so that the feedback cannot silently drift.
"""

from __future__ import annotations

MISCONCEPTIONS: dict[str, str] = {
    # gradient_sentences: the direction rule
    "direction_reversed": "the direction rule is reversed. A negative gradient means the loss falls as the parameter "
    "rises: increase it",
    "sign_of_rounded_value": "the direction was taken from the rounded value. -0.03 shows as -0.0 but is still "
    "negative",
    "zero_gradient_direction": "a gradient of exactly 0 was read as a direction. At 0, nudging the parameter does not "
    "change the loss: it should stay the same.",
    "parameter_not_gradient": "the sentences used the parameters' values (params[i]), not their gradients "
    "(params.grad[i]).",
    "mutates_grad": "gradient_sentences changed params.grad. It should only read the gradients",
    # gradient_sentences: formatting
    "two_decimals": "the gradient was shown with two decimals. Show exactly one decimal place (format spec .1f)",
    "unformatted_float": "the gradient was shown with all its digits. Format it with one decimal place "
    "(format spec .1f).",
    "tensor_in_sentence": "the sentence shows a tensor (tensor(...)). Turn the gradient into a Python number with "
    "float() or .item() before formatting it.",
    "significant_digits": "the format .1 keeps one significant digit (-1e+00), not one decimal place: use .1f.",
    "sign_dropped": "the sign of the gradient was dropped. Show the gradient itself (-1.3), not its size",
    "truncated": "the gradient was cut off after one decimal instead of rounded",
    "index_from_one": "the index was counted from 1. Python counts from 0: a is params.grad[0]",
    "not_a_list": "the sentences were joined into one string. Return the list of three strings itself",
    # plot_quad_gradients
    "printed_after_drawing": "the sentences were printed after drawing. Print them first, so that they appear above "
    "the graph.",
    "printed_list": "the list was printed as one line (print(sentences)). Print each sentence on its own line.",
    "no_scatter": "the data points were not scattered.",
    "title_digits": "the loss was shown with all its digits. Format it with two decimals (.2f)",
    "ylim": "(-3, 13) is the range of the first by-hand plot; this plot, like the MAE plot, uses (-3, 12).",
    "plot_requires_grad": "plot_function cannot plot a tensor that requires gradients.",
    "stale_plot_gradients": "the printed gradients depend on earlier calls: gradients from earlier slider moves were "
    "still in .grad.",
    "slider_ignored": "the value 1.1 was used instead of the slider value for a, b, c.",
    "no_decorator": "the line @interact(a=1.1, b=1.1, c=1.1) above the def was removed; the decorator is what links "
    "the function to its sliders.",
    "slider_defaults": "the values given to @interact(...) set where the sliders start",
    # gradient_descent
    "accumulated_gradients": "gradients from earlier steps were still in params.grad. backward() adds to .grad, so "
    "reset it to zero every step",
    "zeroed_before_update": "the parameters never moved: the gradient was reset between backward() and the update.",
    "gradient_ascent": "the parameters moved up the gradient, so the loss rises. Subtract the learning rate times the "
    "gradient",
    "lr_twice": "each step was lr * lr times the gradient: the learning rate was applied twice.",
    "inplace_outside_no_grad": "the in-place update ran outside torch.no_grad().",
    "params_not_updated": "the tensor passed in was not updated; a new tensor was made instead "
    "(params = params - ...).",
    "lr_ignored": "the learning rate passed in was ignored (0.01 was used whatever lr was): use the lr argument.",
    "steps_ignored": "the number of steps passed in was ignored (10 steps were taken): loop steps times.",
    "steps_off_by_one": "off by one: with steps=",
    "loss_after_update": "the losses were recorded after each update. Record the loss computed before the update",
    "loss_fn_ignored": "the loss_fn passed in was ignored (quad_mae was used): call loss_fn(params), whatever function "
    "it is.",
    "losses_not_floats": "the losses were kept as tensors. Turn each into a number with loss.item()",
    "rounded_losses": "the losses were rounded. Return loss.item() as it is; round only when printing.",
    # triple_relu
    "clip_after_sum": "each line should be clipped at zero before adding. Clipping the sum once gives one kink, not "
    "three.",
    "reduce_max": "torch.max(t, 0) does not clip: it reduces along dimension 0",
    "clip_from_above": "the lines were clipped from above (min(y, 0)). A ReLU keeps the positive part, max(y, 0)",
    "not_clipped": "the lines were added without clipping. Each ReLU is its line m*x + b clipped at zero",
    "pairs_mixed": "the slopes and intercepts were paired wrongly. ReLU number i uses m_i with b_i",
    "missing_relu": "ReLU number 3 (m3, b3) is missing from the sum",
    "dtype_changed": "x was converted (for example with .float()). Leave x's dtype alone",
    "shape_changed": "x was reshaped (squeeze, flatten or view). Leave x's shape alone",
    # plot_triple_relu
    "noise_free_scatter": "the points scattered are f(x), the noise-free quadratic. Scatter the noisy data (x, y)",
    "slider_names": "each keyword of @interact(...) makes one slider, named after it; the sliders stand for "
    "triple_relu's parameters",
    "title_mse": "the title shows the mean squared error. The MAE is the mean of the absolute differences",
    "plots_two_relus": "the curve drawn is the sum of only two ReLUs (double_relu).",
    # triple_relu_fit
    "fit_defaults": "these are the sliders' starting values. Move the sliders until the curve follows the points",
    "fit_near_miss": "Close, but not below 1.5 yet",
    "fit_swapped": "each slope was written under its intercept's key and vice versa",
    "fit_not_dict": "the six values were given as a sequence. A dict names each value",
    # linear, triple_linear, equivalent_line
    "linear_clipped": "linear still clips at zero. Task 2d swaps the ReLU for the plain line m*x + b",
    "swap_halfway": "the swap is half done. Build all three terms from linear.",
    "linear_mutates": "the line was computed in place on the argument (x *= m, x += b).",
    "intercepts_add": "only the first intercept was kept. Adding lines adds their intercepts too",
    "averaged": "the slopes and intercepts were averaged. Adding three lines adds their slopes and adds their "
    "intercepts",
    "pair_order": "the pair came back as (b, m). Return the slope first, then the intercept: (m, b).",
    "slopes_add": "a slope is missing: every line's slope adds to the slope of the sum.",
    # no known misconception: the message says what differed
    "unknown": "No known mistake matches",
}

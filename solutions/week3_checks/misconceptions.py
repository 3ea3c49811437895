"""Week 3's misconceptions, each declared once by key: the checks name them; the catalogue and feedback use the key."""

from autograder.checks.authoring import Misconceptions, template

LIKELY = Misconceptions(
    # gradient_sentences: the direction rule, then the formatting
    direction_reversed="the direction rule is reversed. A negative gradient means the loss falls as the parameter "
    "rises: increase it; a positive gradient means decrease it.",
    sign_of_rounded_value="the direction was taken from the rounded value. -0.03 shows as -0.0 but is still negative: "
    "take the sign from the gradient itself and round only for display.",
    zero_gradient_direction="a gradient of exactly 0 was read as a direction. At 0, nudging the parameter does not "
    "change the loss: it should stay the same.",
    parameter_not_gradient="the sentences used the parameters' values (params[i]), not their gradients "
    "(params.grad[i]).",
    mutates_grad="gradient_sentences changed params.grad. It should only read the gradients and leave them for the "
    "caller (resetting them is the training loop's job).",
    not_a_list="the sentences were joined into one string. Return the list of three strings itself; printing them "
    "one per line is plot_quad_gradients's job.",
    tensor_in_sentence="the sentence shows a tensor (tensor(...)). Turn the gradient into a Python number with "
    "float() or .item() before formatting it.",
    two_decimals="the gradient was shown with two decimals. Show exactly one decimal place (format spec .1f): -1.35 "
    "shows as -1.4.",
    unformatted_float="the gradient was shown with all its digits. Format it with one decimal place (format spec .1f).",
    significant_digits="the format .1 keeps one significant digit (-1e+00), not one decimal place: use .1f.",
    sign_dropped="the sign of the gradient was dropped. Show the gradient itself (-1.3), not its size: the sign is "
    "the whole point.",
    truncated="the gradient was cut off after one decimal instead of rounded: -0.96 shows as -1.0 and -1.2999 as -1.3.",
    index_from_one="the index was counted from 1. Python counts from 0: a is params.grad[0], b is params.grad[1].",
    # plot_quad_gradients and plot_triple_relu
    printed_list="the list was printed as one line (print(sentences)). Print each sentence on its own line.",
    printed_after_drawing="the sentences were printed after drawing. Print them first, so that they appear above the "
    "graph.",
    stale_plot_gradients="the printed gradients depend on earlier calls: gradients from earlier slider moves were "
    "still in .grad. Build a fresh tensor from the slider values on every call.",
    slider_ignored=template(
        "the value 1.1 was used instead of the slider value for {names}. Build the tensor from the slider values "
        "a, b, c that plot_quad_gradients receives."
    ),
    plot_requires_grad="plot_function cannot plot a tensor that requires gradients. Plot the curve made from the "
    "slider values, or plot inside with torch.no_grad().",
    no_scatter="the data points were not scattered. Put the twenty points (x, y) on the same axes as the curve: "
    "plt.scatter before plot_function.",
    noise_free_scatter="the points scattered are f(x), the noise-free quadratic. Scatter the noisy data (x, y).",
    title_tensor="the title shows the loss tensor itself. Format the loss with two decimals.",
    title_digits="the loss was shown with all its digits. Format it with two decimals (.2f).",
    ylim="(-3, 13) is the range of the first by-hand plot; this plot, like the MAE plot, uses (-3, 12).",
    relu_ylim="(-3, 12) is the range of Task 1's MAE plot; this plot uses (-3, 13).",
    no_decorator="the line @interact(a=1.1, b=1.1, c=1.1) above the def was removed; the decorator is what links the "
    "function to its sliders.",
    relu_no_decorator="the @interact(...) line above the def was removed; the decorator is what gives the function "
    "its six sliders.",
    quad_slider_names="each keyword of @interact(...) makes one slider, named after it, in order: keep "
    "@interact(a=1.1, b=1.1, c=1.1).",
    slider_names="each keyword of @interact(...) makes one slider, named after it; the sliders stand for "
    "triple_relu's parameters, so keep their names m1, b1, m2, b2, m3, b3.",
    slider_defaults="the values given to @interact(...) set where the sliders start, and the lab starts them at 1.1.",
    plots_two_relus="the curve drawn is the sum of only two ReLUs (double_relu).",
    title_mse="the title shows the mean squared error. The MAE is the mean of the absolute differences, "
    "mae(predictions, y), as in Task 1.",
    mae_two_relus="the MAE was computed for two ReLUs only; use all six slider values.",
    # gradient_descent
    accumulated_gradients="gradients from earlier steps were still in params.grad. backward() adds to .grad, so reset "
    "it to zero every step (the notebook of the week's loop has this bug).",
    zeroed_before_update="the parameters never moved: the gradient was reset between backward() and the update. "
    "Reset it before backward() or after the update.",
    gradient_ascent="the parameters moved up the gradient, so the loss rises. Subtract the learning rate times the "
    "gradient: a step goes against the slope.",
    lr_twice="each step was lr * lr times the gradient: the learning rate was applied twice.",
    lr_ignored="the learning rate passed in was ignored (0.01 was used whatever lr was): use the lr argument.",
    steps_ignored="the number of steps passed in was ignored (10 steps were taken): loop steps times.",
    steps_off_by_one="off by one: with steps=n the loop should run exactly n times and return n losses.",
    loss_after_update="the losses were recorded after each update. Record the loss computed before the update: the "
    "first one is the loss at the starting parameters.",
    rounded_losses="the losses were rounded. Return loss.item() as it is; round only when printing.",
    losses_not_floats="the losses were kept as tensors. Turn each into a number with loss.item(), which also lets go "
    "of its graph.",
    loss_fn_ignored="the loss_fn passed in was ignored (quad_mae was used): call loss_fn(params), whatever function it "
    "is.",
    params_not_updated="the tensor passed in was not updated; a new tensor was made instead (params = params - ...). "
    "Update params in place (params -= ...), so the caller sees the new values.",
    inplace_outside_no_grad="the in-place update ran outside torch.no_grad(). A tensor that requires grad can only be "
    "changed in place inside with torch.no_grad():.",
    params_replaced="params was replaced by a new tensor that does not require grad. Update the tensor in place "
    "instead (params -= ...).",
    # triple_relu
    clip_after_sum="each line should be clipped at zero before adding. Clipping the sum once gives one kink, not "
    "three.",
    not_clipped="the lines were added without clipping. Each ReLU is its line m*x + b clipped at zero; without the "
    "clipping the sum is just one straight line.",
    clip_from_above="the lines were clipped from above (min(y, 0)). A ReLU keeps the positive part, max(y, 0), and "
    "sets the negative part to 0.",
    pairs_mixed="the slopes and intercepts were paired wrongly. ReLU number i uses m_i with b_i: the pairs are "
    "(m1, b1), (m2, b2), (m3, b3), in the order of the arguments.",
    dtype_changed="x was converted (for example with .float()). Leave x's dtype alone: float64 in, float64 out.",
    missing_relu=template("ReLU number {k} (m{k}, b{k}) is missing from the sum: {fix}"),
    python_max="Python's max() (or an if) compares whole tensors. Clip element by element: rectified_linear does it "
    "with torch.clip(y, 0.).",
    reduce_max="torch.max(t, 0) does not clip: it reduces along dimension 0 and returns the largest values with their "
    "indices. A ReLU keeps each element's max with 0: rectified_linear, or torch.clip(y, 0.).",
    shape_changed="x was reshaped (squeeze, flatten or view). Leave x's shape alone: the three ReLUs are added element "
    "by element, so the result has x's shape by itself.",
    # triple_relu_fit
    fit_not_dict="the six values were given as a sequence. A dict names each value, so they cannot be read in the "
    "wrong order: {'m1': ..., 'b1': ..., ...}.",
    fit_defaults="these are the sliders' starting values. Move the sliders until the curve follows the points, then "
    "copy the values they show.",
    fit_swapped="each slope was written under its intercept's key and vice versa; with them swapped the fit passes. "
    "m is the slope of each ReLU, b its intercept.",
    fit_near_miss=template(
        "Close, but not below {below} yet: small moves of one slider at a time, watching the MAE in the title."
    ),
    fit_far="The curve is still far from the points: move the sliders until it follows them.",
    # linear, triple_linear, equivalent_line
    linear_clipped="linear still clips at zero. Task 2d swaps the ReLU for the plain line m*x + b, negative values "
    "included: only the clipping goes.",
    linear_mutates="the line was computed in place on the argument (x *= m, x += b). Compute m*x + b as a new tensor "
    "and leave x as it was: the caller still needs it.",
    swap_halfway=template("{what} (rectified_linear): the swap is half done. Build all three terms from linear."),
    line_missing="a line is missing from the sum: add all three.",
    intercepts_add="only the first intercept was kept. Adding lines adds their intercepts too, just as it adds their "
    "slopes.",
    averaged="the slopes and intercepts were averaged. Adding three lines adds their slopes and adds their "
    "intercepts; the average is a line three times too flat and too low.",
    slopes_add="a slope is missing: every line's slope adds to the slope of the sum.",
    intercept_missing="an intercept is missing: every line's intercept adds to the intercept of the sum.",
    pair_order="the pair came back as (b, m). Return the slope first, then the intercept: (m, b).",
)
